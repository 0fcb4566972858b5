"""Correcting one sentence's act or speaker (the session page's form and the API's PATCH
``sentences``): stored as overrides that reach the metrics through the one scoring path,
kept by later re-scores, audited with the machine's labels, said on the scorecard, exported
for retraining (admins and API keys, own organisation only). And the debrief answers."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from test_web_session import scored  # noqa: F401  (fixture)
from web_world import cheap_hashes, csrf_of, world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("cheap_hashes")
ASKED = "What have you tried so far?"  # Vera's second question in the fake models' script


def card_of(world, sid):
    from service.db import CoachingSession

    with world.factory() as db:
        s = db.get(CoachingSession, sid)
        return s.status, s.scorecard_json, s.scorecard_html, s.overall_score


def index_of(card, text):
    return next(x["index"] for x in card["sentences"] if x["text"] == text)


def key_for(world, org_id):
    from service.auth import create_key
    from service.db import Org

    with world.factory() as db:
        key = create_key(db, db.get(Org, org_id))
        db.commit()
    return {"Authorization": f"Bearer {key.plain}"}


def correct(browser, sid, index, **fields):
    page = browser.get(f"/sessions/{sid}").text
    return browser.post(f"/sessions/{sid}/sentences/{index}", data={"csrf_token": csrf_of(page), **fields},
                        follow_redirects=False)


def test_relabelling_a_question_as_advice_rescores_and_keeps_the_machines_label(api, world, scored):
    from service.db import Correction

    browser, sid = scored
    _, card, _, before = card_of(world, sid)
    i = index_of(card, ASKED)
    assert card["sentences"][i]["act"] == "open_question" and card["rescues"] == []
    page = browser.get(f"/sessions/{sid}").text
    assert f'action="/sessions/{sid}/sentences/{i}"' in page and f'<label for="act-{i}">Act</label>' in page

    r = correct(browser, sid, i, act="advice", speaker=card["sentences"][i]["speaker"])
    assert r.status_code == 303 and r.headers["location"] == f"/sessions/{sid}/progress"
    api.process()
    status, card, html, after = card_of(world, sid)
    assert status == "done"
    assert card["sentences"][i]["act"] == "advice"
    assert card["sentences"][i]["machine"] == {"act": "open_question", "speaker": card["sentences"][i]["speaker"]}
    assert [r["response"]["text"] for r in card["rescues"]] == [ASKED]  # advice after "not sure": a rescue
    assert after < before
    assert [(c["by"], c["what"]) for c in card["corrections"]] == [("Vera", "1 sentence re-labelled")]
    assert "Corrected by Vera on " in html and ": 1 sentence re-labelled." in html
    with world.factory() as db:
        c = db.scalar(select(Correction))
        assert c.kind == "sentence" and c.user_id
        assert c.before == {"index": i, "text": ASKED, "act": "open_question", "speaker": c.before["speaker"]}
        assert c.after["act"] == "advice" and c.after["changed"] == ["act"]
    page = browser.get(f"/sessions/{sid}").text
    assert "corrected</span>" in page
    assert f"Sentence “{ASKED}”: act Open question → Advice by <strong>Vera</strong>" in page


def test_overrides_survive_a_role_swap_and_a_name_change(api, world, scored):
    from service.db import Org

    browser, sid = scored
    _, card, _, _ = card_of(world, sid)
    i = index_of(card, ASKED)
    correct(browser, sid, i, act="advice")
    api.process()
    page = browser.get(f"/sessions/{sid}").text
    assert browser.post(f"/sessions/{sid}/swap-roles", data={"csrf_token": csrf_of(page)}).status_code == 200
    api.process()
    _, swapped, _, _ = card_of(world, sid)
    assert swapped["roles"]["leader"] != card["roles"]["leader"]
    assert swapped["sentences"][i]["act"] == "advice"  # still the reviewer's
    assert swapped["corrections"][0]["what"] == "1 sentence re-labelled, roles swapped"
    with world.factory() as db:
        key = key_for(world, db.scalar(select(Org.id)))
    assert api.client.patch(f"/v1/sessions/{sid}", headers=key, json={"coachee_name": "Samantha"}).status_code == 202
    api.process()
    _, renamed, _, _ = card_of(world, sid)
    assert "Samantha" in {x["name"] for x in renamed["speakers"]} and renamed["sentences"][i]["act"] == "advice"


def test_giving_a_sentence_to_the_other_speaker_moves_its_talk_time(api, world, scored):
    browser, sid = scored
    _, card, _, _ = card_of(world, sid)
    said = next(x for x in card["sentences"] if x["speaker"] != card["roles"]["leader"])
    share = card["metric_values"]["leader_talk_share"]
    r = correct(browser, sid, said["index"], act=said["act"], speaker=card["roles"]["leader"])
    assert r.status_code == 303
    api.process()
    _, card, _, _ = card_of(world, sid)
    moved = card["sentences"][said["index"]]
    assert moved["speaker"] == card["roles"]["leader"] and moved["text"] == said["text"]
    assert moved["machine"]["speaker"] == said["speaker"]
    assert card["metric_values"]["leader_talk_share"] > share
    assert card["corrections"][0]["what"] == "1 sentence given to the other speaker"
    # back to the machine's speaker, the act sent as the page shows it: no override is left
    correct(browser, sid, said["index"], act=moved["act"], speaker=said["speaker"])
    api.process()
    _, card, _, _ = card_of(world, sid)
    assert card["sentences"][said["index"]] == said
    page = browser.get(f"/sessions/{sid}").text
    assert "speaker set back to the machine&#39;s Sam" in page or "speaker set back to the machine's Sam" in page


def test_setting_the_machines_label_back_drops_the_override(api, world, scored):
    from service.db import CoachingSession

    browser, sid = scored
    _, card, _, _ = card_of(world, sid)
    i = index_of(card, ASKED)
    correct(browser, sid, i, act="advice")
    api.process()
    correct(browser, sid, i, act="open_question")
    api.process()
    _, card, _, _ = card_of(world, sid)
    assert card["sentences"][i]["act"] == "open_question" and "machine" not in card["sentences"][i]
    with world.factory() as db:
        assert db.get(CoachingSession, sid).overrides_json is None
    unchanged = correct(browser, sid, i, act="open_question")  # nothing to change: back to the page
    assert unchanged.status_code == 303 and unchanged.headers["location"] == f"/sessions/{sid}#sentence-{i}"


def test_another_leader_gets_404_and_a_post_without_csrf_fails(world, scored):
    from service.db import Correction

    browser, sid = scored
    pat = world.signed_in("pat@acme.test")
    token = csrf_of(pat.get("/sessions").text)
    assert pat.post(f"/sessions/{sid}/sentences/0", data={"csrf_token": token, "act": "advice"}).status_code == 404
    assert pat.post(f"/sessions/{sid}/debrief", data={"csrf_token": token, "answer-1": "x"}).status_code == 404
    assert browser.post(f"/sessions/{sid}/sentences/0", data={"act": "advice"}).status_code == 403
    assert browser.post(f"/sessions/{sid}/debrief", data={"answer-1": "x"}).status_code == 403
    with world.factory() as db:
        assert db.scalar(select(Correction)) is None


def test_a_bad_sentence_or_speaker_is_refused(world, scored):
    browser, sid = scored
    assert correct(browser, sid, 99, act="advice").status_code == 422
    assert correct(browser, sid, 0, speaker="Nobody").status_code == 422
    assert correct(browser, sid, 0, act="shouting").status_code == 422
    assert correct(browser, sid, 0).status_code == 422


def test_the_api_patch_takes_the_same_corrections(api, world, scored):
    from service.db import Correction, Org

    _, sid = scored
    with world.factory() as db:
        org = db.scalar(select(Org.id))
    key = key_for(world, org)
    _, card, _, _ = card_of(world, sid)
    i = index_of(card, ASKED)
    r = api.client.patch(f"/v1/sessions/{sid}", headers=key, json={"sentences": [{"index": i, "act": "takeover"}]})
    assert r.status_code == 202, r.text
    assert api.client.patch(f"/v1/sessions/{sid}", headers=key,
                            json={"sentences": [{"index": i, "act": "advice"}]}).status_code == 409  # busy
    api.process()
    _, card, _, _ = card_of(world, sid)
    assert card["sentences"][i]["act"] == "takeover" and "integration (API key csk_" in card["corrections"][0]["by"]
    with world.factory() as db:
        c = db.scalar(select(Correction))
        assert c.user_id is None and c.api_key_id
    bad = api.client.patch(f"/v1/sessions/{sid}", headers=key, json={"sentences": [{"index": i}]})
    assert bad.status_code == 422
    schema = api.client.get("/openapi.json").json()["components"]["schemas"]
    assert "sentences" in schema["SessionPatch"]["properties"] and "SentenceCorrection" in schema


def test_the_patch_needs_a_scored_session(api):
    _, key = api.new_org()
    sid = api.upload(key).json()["id"]
    r = api.client.patch(f"/v1/sessions/{sid}", headers=key, json={"sentences": [{"index": 0, "act": "advice"}]})
    assert r.status_code == 409


def test_corrections_export_for_admins_and_api_keys_of_the_same_organisation(api, world, scored):
    from service.db import CoachingSession, Org

    browser, sid = scored
    _, card, _, _ = card_of(world, sid)
    i = index_of(card, ASKED)
    correct(browser, sid, i, act="advice")
    api.process()
    with world.factory() as db:
        acme = db.scalar(select(Org.id).where(Org.name == "Acme"))
    world.user(acme, "ada@acme.test", role="admin")
    lines = api.client.get("/v1/corrections.jsonl", headers=key_for(world, acme))
    assert lines.status_code == 200 and lines.headers["content-type"].startswith("application/jsonl")
    rows = [json.loads(x) for x in lines.text.splitlines()]
    assert len(rows) == 1
    row = rows[0]
    assert row["session_id"] == sid and row["sentence_index"] == i and row["text"] == ASKED
    assert (row["machine_act"], row["reviewer_act"], row["by"]) == ("open_question", "advice", "Vera")
    assert row["at"].startswith("20")
    web = world.signed_in("ada@acme.test").get("/corrections.jsonl")
    assert web.status_code == 200 and [json.loads(x) for x in web.text.splitlines()] == rows
    assert "attachment" in web.headers["content-disposition"]
    assert browser.get("/corrections.jsonl").status_code == 403  # Vera is a member
    assert 'href="/corrections.jsonl"' not in browser.get(f"/sessions/{sid}").text
    # another organisation sees none of it
    other = world.org("Globex")
    assert api.client.get("/v1/corrections.jsonl", headers=key_for(world, other)).text == ""
    world.user(other, "gil@globex.test", role="admin")
    assert world.signed_in("gil@globex.test").get("/corrections.jsonl").text == ""
    # a private session (a self-review) is its leader's alone: not exported to anyone
    with world.factory() as db:
        db.get(CoachingSession, sid).private = True
        db.commit()
    assert api.client.get("/v1/corrections.jsonl", headers=key_for(world, acme)).text == ""
    assert world.signed_in("ada@acme.test").get("/corrections.jsonl").text == ""


def test_the_leader_answers_the_debrief_and_the_manager_reads_it(api, world, scored):
    from service.db import CoachingSession, Person

    browser, sid = scored
    with world.factory() as db:
        s = db.get(CoachingSession, sid)
        org, vera = s.org_id, db.get(Person, s.leader_id)
        boss = world.person(org, "Mia")
        vera.manager_id = boss
        db.commit()
    world.user(org, "mia@acme.test", person=boss)
    page = browser.get(f"/sessions/{sid}").text
    assert '<label for="answer-1">What did you notice about the coachee&#39;s reaction?</label>' in page
    r = browser.post(f"/sessions/{sid}/debrief", follow_redirects=False,
                     data={"csrf_token": csrf_of(page), "answer-1": "Sam went quiet after my advice.",
                           "answer-2": "", "answer-3": "I would ask what Sam had tried."})
    assert r.status_code == 303 and r.headers["location"] == f"/sessions/{sid}#debrief-h"
    assert "Sam went quiet after my advice.</textarea>" in browser.get(f"/sessions/{sid}").text
    mia = world.signed_in("mia@acme.test")
    shown = mia.get(f"/sessions/{sid}").text
    assert '<span class="answer">Sam went quiet after my advice.</span>' in shown
    assert "Not answered yet by Vera." in shown and 'action="/sessions/' + sid + '/debrief"' not in shown
    r = mia.post(f"/sessions/{sid}/debrief", data={"csrf_token": csrf_of(shown), "answer-1": "Mine"})
    assert r.status_code == 403
    api.process()  # a later re-score keeps the answers
    with world.factory() as db:
        answers = db.get(CoachingSession, sid).debrief_answers
    assert len(answers) == 2 and all(a["by"] for a in answers.values())
