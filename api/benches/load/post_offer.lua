-- wrk script: POST /v1/offers with a valid body and the bearer token in $TOKEN.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.body = [[{"kind":"stage_3e","title":"Découverte de la logistique","description":"Une semaine avec nos équipes.","sector":"N","address":"12 rue de la Gare","commune_insee":"93066","weeks":[{"week":"2027-W03","seats":2},{"week":"2027-W04","seats":1}],"tutor":{"name":"Camille Martin","email":"camille.martin@example.fr"}}]]
