"""`python -m tools.erasures reapply --clients-table <restored> --erasures-table <name> [--since <time>]`:
after a restore of the clients table, erase again every client whose erasure is recorded.

AWS credentials, region and endpoint come from the environment, as for any boto3 program
(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB). Prints counts only: the keys of guards
are emails and phone numbers."""

from __future__ import annotations

import argparse
import sys

import boto3

from tools.erasures.reapply import parse_time, reapply


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.erasures", description=__doc__)
    commands = parser.add_subparsers(required=True)
    command = commands.add_parser("reapply", help="erase again, in a restored clients table, what was erased")
    command.add_argument("--clients-table", required=True, help="the restored clients table")
    command.add_argument(
        "--erasures-table", required=True, help="the stack's erasures table (output ErasuresTableName)"
    )
    command.add_argument(
        "--since",
        type=parse_time,
        help="only erasures at or after this ISO 8601 time (UTC unless it says otherwise), e.g. the restore point",
    )
    command.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
    args = parser.parse_args(argv)

    done = reapply(
        boto3.client("dynamodb"), args.clients_table, args.erasures_table, since=args.since, dry_run=args.dry_run
    )
    deleted = "items to delete (dry run)" if args.dry_run else "items deleted"
    print(f"erasure records: {done.erasures}; {deleted} from {args.clients_table}: {done.deleted}")
    if done.kept:
        print(f"guards left to the client that holds their email or phone now: {done.kept}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
