"""Signs in one caller of every role on a running `tremplin serve`, for the
schemathesis run: an admin (created with `tremplin admin create-user`), a
company, a school and a coordinator (each in an organisation of its own,
invited and accepted through the API), and an API client of the company
(client_credentials grant). Writes `ROLE TOKEN` lines to the output file.

Usage: seed.py TREMPLIN_BIN DATABASE_URL BASE_URL OUT_FILE
Only the standard library: it runs before anything else is installed.
"""
import csv
import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request


def call(base, method, path, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    if body is not None:
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            text = answer.read().decode()
    except urllib.error.HTTPError as err:
        sys.exit(f"{method} {path}: {err.code} {err.read().decode()}")
    return json.loads(text) if text else None


def password():
    # Random, long and mixed: whatever strength rule the server applies.
    return "St-" + secrets.token_urlsafe(24)


def sign_in(base, email, pwd):
    answer = call(base, "POST", "/v1/auth/token", body={
        "grant_type": "password", "email": email, "password": pwd})
    return answer["access_token"]


def member(base, admin, org_id, role):
    email = f"{role}-{secrets.token_hex(4)}@schemathesis.test"
    invited = call(base, "POST", f"/v1/organisations/{org_id}/users", admin,
                   {"email": email, "role": role})
    pwd = password()
    call(base, "POST", "/v1/auth/accept-invitation",
         body={"token": invited["invitation"]["token"], "password": pwd})
    return sign_in(base, email, pwd)


def a_college(reference_dir):
    with open(os.path.join(reference_dir, "colleges_fr.csv"), newline="") as f:
        for row in csv.DictReader(f):
            return row["uai"]
    sys.exit("no collège in the reference data")


def main():
    tremplin, database_url, base, out = sys.argv[1:5]
    reference_dir = os.environ.get("TREMPLIN__REFERENCE__DIR", "../shared/data")
    email = f"admin-{secrets.token_hex(4)}@schemathesis.test"
    pwd = password()
    subprocess.run([tremplin, "--database-url", database_url, "admin", "create-user",
                    "--email", email, "--role", "admin", "--password", pwd],
                   check=True, stdout=subprocess.DEVNULL)
    admin = sign_in(base, email, pwd)
    company_org = call(base, "POST", "/v1/organisations", admin, {
        "kind": "company", "name": "Entreprise schemathesis", "siret": "73282932000074"})
    school_org = call(base, "POST", "/v1/organisations", admin, {
        "kind": "school", "name": "Collège schemathesis", "uai": a_college(reference_dir)})
    structure = call(base, "POST", "/v1/organisations", admin, {
        "kind": "mentoring_structure", "name": "Association schemathesis"})
    tokens = {
        "admin": admin,
        "company": member(base, admin, company_org["id"], "company"),
        "school": member(base, admin, school_org["id"], "school"),
        "coordinator": member(base, admin, structure["id"], "coordinator"),
    }
    client = call(base, "POST", "/v1/api-clients", tokens["company"],
                  {"name": "Plateforme schemathesis"})
    tokens["api_client"] = call(base, "POST", "/v1/auth/token", body={
        "grant_type": "client_credentials", "client_id": client["client_id"],
        "client_secret": client["client_secret"]})["access_token"]
    with open(out, "w") as f:
        for role, token in tokens.items():
            f.write(f"{role} {token}\n")


if __name__ == "__main__":
    main()
