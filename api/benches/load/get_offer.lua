-- wrk script: GET /v1/offers/$OFFER_ID with the bearer token in $TOKEN.
wrk.method = "GET"
wrk.path = "/v1/offers/" .. os.getenv("OFFER_ID")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
