from tests.factories import make_organisation, make_user

def test_probe(app, client, auth):
    org = make_organisation()
    user = make_user(org)
    auth.login(user.email)
    other = app.test_client()
    r = other.get("/compte")
    print("other client status", r.status_code)
    from flask import g
    print("g has login user:", "_login_user" in g)
