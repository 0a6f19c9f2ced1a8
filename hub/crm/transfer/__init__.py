"""Moving a leaving staff member's book (customers, leads, open deals, tasks) to named
successors in one audited operation (plan.py decides, apply.py writes)."""
