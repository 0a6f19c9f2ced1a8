"""What is computed for each household, in SQL, over all its members' purchases.

- family-purchase share: purchases a member made for another member of the household
  (`purchases.for_customer_id`, 家属代购), over all the household's purchases. By count
  (`share`): it measures how often the family shops for each other, which is what a
  clerk acts on; one expensive device would swing the amount. The amount share is given
  alongside (`amount_share`), in the purchases' minor units.
- decision-maker: the member who made over 60 % of the household's purchases (by count;
  none when nobody does, and none for a household without purchases).
- who buys for whom: per (buyer, member bought for), the number of such purchases.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import text
from sqlalchemy.orm import Session

DECISION_SHARE = Fraction(3, 5)  # over 60 %

# A purchase is for the family when the member it was for is another member of the
# buyer's household now.
_MEMBERS = (
    "WITH m AS (SELECT household_id, customer_id FROM household_members "
    "WHERE household_id = ANY(:ids)), "
    "p AS (SELECT m.household_id, p.id, p.customer_id, p.for_customer_id, p.total, "
    "f.customer_id IS NOT NULL AS for_family FROM m JOIN purchases p "
    "ON p.customer_id = m.customer_id LEFT JOIN m f ON f.household_id = m.household_id "
    "AND f.customer_id = p.for_customer_id AND f.customer_id <> p.customer_id) "
)
TOTALS = text(
    _MEMBERS + "SELECT household_id, count(*) AS purchases, "
    "count(*) FILTER (WHERE for_family) AS for_family, coalesce(sum(total), 0) AS amount, "
    "coalesce(sum(total) FILTER (WHERE for_family), 0) AS for_family_amount "
    "FROM p GROUP BY household_id"
)
DECIDERS = text(
    _MEMBERS + "SELECT household_id, customer_id FROM ("
    " SELECT household_id, customer_id, count(*) AS n,"
    " sum(count(*)) OVER (PARTITION BY household_id) AS total"
    " FROM p GROUP BY household_id, customer_id) AS per_member "
    "WHERE n * :den > total * :num"
)
FLOWS = text(
    _MEMBERS + "SELECT household_id, customer_id AS buyer_id, for_customer_id AS for_id, "
    "count(*) AS n FROM p WHERE for_family GROUP BY household_id, customer_id, "
    "for_customer_id ORDER BY household_id, n DESC, customer_id, for_customer_id"
)


@dataclass
class Figures:
    purchases: int = 0
    for_family: int = 0
    amount: int = 0  # minor units
    for_family_amount: int = 0
    decision_maker_id: str | None = None
    bought_for: list[tuple[str, str, int]] = field(default_factory=list)  # buyer, for, count

    @property
    def share(self) -> float:
        return self.for_family / self.purchases if self.purchases else 0.0

    @property
    def amount_share(self) -> float:
        return self.for_family_amount / self.amount if self.amount > 0 else 0.0


def figures_of(session: Session, household_ids: Iterable[str]) -> dict[str, Figures]:
    """household id -> its figures (three statements whatever the number of households)."""
    ids = sorted(set(household_ids))
    found = {i: Figures() for i in ids}
    if not ids:
        return found
    for row in session.execute(TOTALS, {"ids": ids}):
        f = found[row.household_id]
        f.purchases, f.for_family = int(row.purchases), int(row.for_family)
        f.amount, f.for_family_amount = int(row.amount), int(row.for_family_amount)
    share = {"num": DECISION_SHARE.numerator, "den": DECISION_SHARE.denominator}
    for row in session.execute(DECIDERS, {"ids": ids, **share}):
        found[row.household_id].decision_maker_id = row.customer_id
    for row in session.execute(FLOWS, {"ids": ids}):
        found[row.household_id].bought_for.append((row.buyer_id, row.for_id, int(row.n)))
    return found
