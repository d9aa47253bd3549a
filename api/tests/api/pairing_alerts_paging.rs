//! Paging over the follow-up alerts: they are computed afresh on each call,
//! so the cursor is a place in their (total) order, and walking the pages
//! while the clock stands still gives each alert exactly once, in order.
use crate::helpers::*;
use crate::pairing_alerts::{new_mentee, new_mentor, proposed};
use api::clock::Clock;
use chrono::Duration;
use serde_json::{Value, json};

/// Every alert the caller sees, page by page of `limit`, and the number of
/// pages.
async fn walk(app: &TestApp, token: &str, limit: u32) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/pairings/alerts?limit={limit}&cursor={c}"),
            None => format!("/v1/pairings/alerts?limit={limit}"),
        };
        let body = app.get(&path, Some(token)).await.expect(200);
        pages += 1;
        let page = body["items"].as_array().expect("items");
        assert!(page.len() <= limit as usize, "{body}");
        items.extend(page.iter().cloned());
        match body["next_cursor"].as_str() {
            Some(next) => {
                assert!(!page.is_empty(), "a cursor after an empty page: {body}");
                cursor = Some(next.to_owned());
            }
            None => break,
        }
        assert!(pages < 50, "paging does not end");
    }
    (items, pages)
}

crate::clocked_test!(
    async fn walking_the_pages_gives_every_alert_once_in_order(app: TestApp, clock: Clock) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = &coordinator.token;
        let mentor = new_mentor(&app, token, 3).await;
        // Mentees created together wait the same number of days since the
        // same day: only the ids part them.
        for _ in 0..5 {
            new_mentee(&app, token, json!({})).await;
        }
        for _ in 0..2 {
            proposed(&app, token, &mentor, json!({})).await;
        }
        clock.set(clock.now() + Duration::days(31));

        let all = app
            .get("/v1/pairings/alerts?limit=100", Some(token))
            .await
            .expect(200);
        assert!(all["next_cursor"].is_null(), "{all}");
        let all = all["items"].as_array().expect("items").clone();
        let kinds: Vec<&str> = all.iter().map(|a| a["kind"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "proposal_unanswered",
                "proposal_unanswered",
                "mentee_unpaired",
                "mentee_unpaired",
                "mentee_unpaired",
                "mentee_unpaired",
                "mentee_unpaired",
            ],
            "{all:?}"
        );

        let (walked, pages) = walk(&app, token, 3).await;
        assert_eq!(pages, 3);
        assert_eq!(
            walked, all,
            "the pages, joined, are the whole list in order"
        );
        // The same walk again, the clock unmoved: the same pages.
        assert_eq!(walk(&app, token, 3).await, (all.clone(), 3));
        // One page holding exactly the whole list, and one alert a page.
        assert_eq!(walk(&app, token, 7).await.0, all);
        assert_eq!(walk(&app, token, 1).await.0, all);

        // The kind filter pages too.
        let first = app
            .get(
                "/v1/pairings/alerts?kind=mentee_unpaired&limit=4",
                Some(token),
            )
            .await
            .expect(200);
        assert_eq!(first["items"].as_array().unwrap()[..], all[2..6]);
        let cursor = first["next_cursor"].as_str().expect("a next page");
        let second = app
            .get(
                &format!("/v1/pairings/alerts?kind=mentee_unpaired&limit=4&cursor={cursor}"),
                Some(token),
            )
            .await
            .expect(200);
        assert_eq!(second["items"].as_array().unwrap()[..], all[6..]);
        assert!(second["next_cursor"].is_null(), "{second}");
        assert!(second["as_of"].is_string() && second["thresholds"].is_object());

        for bad in [
            "cursor=not-a-cursor",
            "cursor=bm9wZQ",
            "limit=0",
            "limit=101",
        ] {
            let refused = app
                .get(&format!("/v1/pairings/alerts?{bad}"), Some(token))
                .await;
            assert_eq!(refused.status.as_u16(), 422, "{bad}: {}", refused.text);
        }
    }
);
