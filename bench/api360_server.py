"""The real hub API (build_api + uvicorn) on a loopback port, in its own process so the
client that measures it does not share its GIL.

    python -m bench.api360_server --url postgresql+psycopg://... --port 8123
"""

import argparse

import uvicorn
from pydantic import SecretStr

from hub.api import build_api
from hub.db import make_engine, make_session_factory
from hub.settings import HubSettings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = HubSettings(
        database_url=args.url,
        api_port=args.port,
        tenant_key=SecretStr("bench-tenant-key-0123456789"),
        auth_secret=SecretStr("bench-auth-signing-key-0123456789-abcdefghij"),
    )
    engine = make_engine(settings.require_database_url())
    app = build_api(settings, make_session_factory(engine))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
