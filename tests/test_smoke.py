from tests.factories import make_organisation, make_resource, make_user


def test_home_page_lists_rooms_for_visitors(client):
    make_resource(name="Hall d'accueil")
    page = client.get("/").get_data(as_text=True)
    assert "Hall d&#39;accueil" in page
    assert "Se connecter" in page


def test_a_member_sees_their_organisation_after_login(client, auth):
    restos = make_organisation(name="Restos du cœur")
    user = make_user(restos, email="marie@exemple.fr")
    response = auth.login(user.email)
    assert response.status_code == 302
    assert "Restos du cœur" in client.get("/").get_data(as_text=True)
