async def test_me_returns_the_caller(client, user):
    response = await client.get("/users/me", headers=user.headers)
    assert response.status_code == 200
    assert response.json()["email"] == user.email
