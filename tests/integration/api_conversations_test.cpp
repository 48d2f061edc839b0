// The conversations API on the real server: renaming and setting the system
// prompt (PATCH), deleting from a message on (edit and resend, regenerate),
// searching (?q=), and answers that did not finish (a stream the client stopped, an
// upstream that failed mid-answer) kept with their finish_reason.
#include <fstream>
#include <thread>

#include <sys/socket.h>

#include "api_fixture.h"
#include "fake_upstream.h"

namespace clawbot::test {
namespace {

using nlohmann::json;

class ConversationsApi : public ApiFixture {
protected:
    std::string create(const std::string& title, const std::string& token) {
        auto r = post_json("/api/v1/conversations", {{"title", title}}, token);
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r)["id"];
    }

    HttpResult patch(const std::string& id, const std::string& body, std::optional<std::string> token) {
        return call("PATCH", "/api/v1/conversations/" + id, body, std::move(token));
    }

    std::vector<std::string> titles(const std::string& query, const std::string& token) {
        const HttpResult r = call("GET", "/api/v1/conversations" + query, "", token);
        EXPECT_EQ(r.status, 200) << query << " -> " << r.body;
        const json body = json_of(r);
        std::vector<std::string> out;
        for (const auto& c : body["conversations"]) out.push_back(c["title"]);
        return out;
    }

    // The conversation's messages once `count` of them are stored (the store
    // write after a cancelled stream happens after the connection is gone).
    json messages_when(const std::string& id, size_t count) {
        json messages;
        for (int i = 0; i < 250; ++i) {
            const HttpResult r = call("GET", "/api/v1/conversations/" + id, "", admin_);
            if (r.status == 200) {
                messages = json_of(r)["messages"];
                if (messages.size() >= count) break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return messages;
    }
};

// --- rename ---------------------------------------------------------------------------

TEST_F(ConversationsApi, RenameAnswersTheConversationAndKeepsItsPlaceInTheList) {
    start({}, {}, false);  // no model: conversations only
    const std::string older = create("older", admin_);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const std::string newer = create("newer", admin_);
    const json before = json_of(call("GET", "/api/v1/conversations/" + older, "", admin_));

    const HttpResult r = patch(older, R"({"title": "  Trip to Paris ✈ \n"})", admin_);
    ASSERT_EQ(r.status, 200) << r.body;
    const json renamed = json_of(r);
    EXPECT_EQ(renamed["id"], older);
    EXPECT_EQ(renamed["title"], "Trip to Paris ✈");  // trimmed
    EXPECT_EQ(renamed["created_at_ms"], before["created_at_ms"]);
    EXPECT_EQ(renamed["updated_at_ms"], before["updated_at_ms"]);  // a rename does not reorder
    EXPECT_EQ(titles("", admin_), (std::vector<std::string>{"newer", "Trip to Paris ✈"}));
    EXPECT_EQ(json_of(call("GET", "/api/v1/conversations/" + older, "", admin_))["title"], "Trip to Paris ✈");

    // The longest title, 200 characters (not bytes).
    std::string longest;
    for (int i = 0; i < 200; ++i) longest += "é";
    const HttpResult longest_ok = patch(newer, json{{"title", longest}}.dump(), admin_);
    ASSERT_EQ(longest_ok.status, 200) << longest_ok.body;
    EXPECT_EQ(json_of(longest_ok)["title"], longest);
}

TEST_F(ConversationsApi, RenameRefusesBadTitlesAndOtherTokensConversations) {
    start({}, {}, false);
    const std::string id = create("kept", admin_);
    const std::vector<std::string> bad = {
        "{}", R"({"title": ""})", R"({"title": "   "})", R"({"title": 5})", R"({"title": null})",
        R"({"title": "two\nlines"})", R"({"title": "bell\u0007"})", json{{"title", std::string(201, 'x')}}.dump(),
        "{not json", "",
    };
    for (const std::string& body : bad) {
        const HttpResult r = patch(id, body, admin_);
        EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
        EXPECT_TRUE(json_of(r)["error"]["code"] == "invalid_request" || json_of(r)["error"]["code"] == "invalid_json")
            << r.body;
    }
    // Another token's conversation is exactly a missing one.
    EXPECT_EQ(patch(id, R"({"title": "hijacked"})", other_).status, 404);
    EXPECT_EQ(patch("conv_0000000000000000", R"({"title": "ghost"})", admin_).status, 404);
    EXPECT_EQ(patch(id, R"({"title": "x"})", std::nullopt).status, 401);
    EXPECT_EQ(json_of(call("GET", "/api/v1/conversations/" + id, "", admin_))["title"], "kept");

    const HttpResult put = call("PUT", "/api/v1/conversations/" + id, R"({"title": "x"})", admin_);
    EXPECT_EQ(put.status, 405);
    EXPECT_EQ(put.header("Allow").value_or(""), "GET, PATCH, DELETE");
}

// --- system prompt ----------------------------------------------------------------------

TEST_F(ConversationsApi, PatchSetsTheSystemPromptThatLaterTurnsUse) {
    start();
    const HttpResult created = call("POST", "/api/v1/conversations", "", admin_);
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(json_of(created)["system"], "");  // every conversation object carries it
    const std::string id = json_of(created)["id"];
    const json turn = {{"query", "Once upon a time"}, {"conversation_id", id}, {"max_tokens", 1}, {"temperature", 0}};
    // One turn in the emptied conversation; its prompt's size.
    auto prompt_tokens = [&] {
        const HttpResult chat = post_json("/api/v1/chat", turn, admin_);
        EXPECT_EQ(chat.status, 200) << chat.body;
        const json stored = json_of(call("GET", "/api/v1/conversations/" + id, "", admin_))["messages"];
        EXPECT_EQ(stored.size(), 2u) << stored;
        const HttpResult cut = call("DELETE", "/api/v1/conversations/" + id + "/messages/" + stored[0]["id"].get<std::string>(), "", admin_);
        EXPECT_EQ(cut.status, 200) << cut.body;
        return json_of(chat)["usage"]["prompt_tokens"].get<std::int64_t>();
    };
    const std::int64_t without = prompt_tokens();

    const std::string system = "You are a storyteller. Answer in short sentences, and always end with a moral.";
    const HttpResult patched = patch(id, json{{"system", system}}.dump(), admin_);
    ASSERT_EQ(patched.status, 200) << patched.body;
    EXPECT_EQ(json_of(patched)["system"], system);
    EXPECT_EQ(json_of(patched)["title"], "New conversation");  // not given: kept
    EXPECT_EQ(json_of(call("GET", "/api/v1/conversations/" + id, "", admin_))["system"], system);
    EXPECT_EQ(json_of(call("GET", "/api/v1/conversations", "", admin_))["conversations"][0]["system"], system);
    const std::int64_t with = prompt_tokens();
    EXPECT_GT(with, without + 10) << "the stored system prompt is not in the next turn's prompt";

    // "" clears it: the prompt is what it was without one.
    const HttpResult cleared = patch(id, R"({"system": ""})", admin_);
    ASSERT_EQ(cleared.status, 200) << cleared.body;
    EXPECT_EQ(json_of(cleared)["system"], "");
    EXPECT_EQ(prompt_tokens(), without);
}

TEST_F(ConversationsApi, PatchTakesTitleAndSystemTogetherAndRefusesBadOnesWhole) {
    start({}, {}, false);
    const std::string id = create("kept", admin_);
    const json before = json_of(call("GET", "/api/v1/conversations/" + id, "", admin_));

    const HttpResult both = patch(id, R"({"title": " Recipes ", "system": "Cook.\nBriefly."})", admin_);
    ASSERT_EQ(both.status, 200) << both.body;
    EXPECT_EQ(json_of(both), (json{{"id", id}, {"title", "Recipes"}, {"system", "Cook.\nBriefly."},
                                   {"created_at_ms", before["created_at_ms"]}, {"updated_at_ms", before["updated_at_ms"]}}));

    // The largest prompt: 32 KiB of UTF-8, counted in bytes.
    std::string largest;
    while (largest.size() + 3 <= 32 * 1024) largest += "字";
    largest.append(32 * 1024 - largest.size(), 'x');
    const HttpResult large = patch(id, json{{"system", largest}}.dump(), admin_);
    ASSERT_EQ(large.status, 200) << large.body.substr(0, 200);
    EXPECT_EQ(json_of(large)["system"], largest);
    ASSERT_EQ(patch(id, R"({"system": "Cook.\nBriefly."})", admin_).status, 200);

    struct Bad {
        std::string body;
        std::string param;
    };
    const std::vector<Bad> bad = {
        {json{{"system", largest + "x"}}.dump(), "system"},
        {R"({"system": 5})", "system"},
        {R"({"system": ["a"]})", "system"},
        {R"({"system": null})", "title"},  // null is "not given": nothing to change
        {R"({"title": null, "system": null})", "title"},
        {R"({"other": "x"})", "title"},
        // A bad title refuses the good prompt with it, and the reverse.
        {R"({"title": "", "system": "new prompt"})", "title"},
        {json{{"title", "new title"}, {"system", largest + "x"}}.dump(), "system"},
    };
    for (const Bad& b : bad) {
        const HttpResult r = patch(id, b.body, admin_);
        EXPECT_EQ(r.status, 400) << b.body.substr(0, 80) << " -> " << r.body;
        EXPECT_EQ(json_of(r)["error"]["param"], b.param) << r.body;
    }
    EXPECT_EQ(patch(id, "{\"system\": \"\xff\"}", admin_).status, 400);  // not UTF-8
    EXPECT_EQ(patch(id, R"({"system": "hijacked"})", other_).status, 404);
    EXPECT_EQ(patch("conv_0000000000000000", R"({"system": "ghost"})", admin_).status, 404);
    EXPECT_EQ(patch(id, R"({"system": "x"})", std::nullopt).status, 401);

    const json after = json_of(call("GET", "/api/v1/conversations/" + id, "", admin_));
    EXPECT_EQ(after["title"], "Recipes");
    EXPECT_EQ(after["system"], "Cook.\nBriefly.");
    EXPECT_EQ(after["updated_at_ms"], before["updated_at_ms"]);  // settings do not reorder the list
}

// --- deleting from a message ---------------------------------------------------------------

TEST_F(ConversationsApi, DeletingFromAMessageKeepsWhatCameBeforeAndTheConversationGoesOn) {
    start();
    const std::string id = create("story", admin_);
    for (const char* query : {"Once upon a time", "And then?", "The end?"}) {
        const HttpResult chat = post_json("/api/v1/chat", {{"query", query}, {"conversation_id", id}, {"max_tokens", 2}}, admin_);
        ASSERT_EQ(chat.status, 200) << chat.body;
    }
    const json before = json_of(call("GET", "/api/v1/conversations/" + id, "", admin_));
    ASSERT_EQ(before["messages"].size(), 6u);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    create("newer", admin_);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));

    // Edit the second question: it and everything after it go.
    const std::string from = before["messages"][2]["id"];
    const HttpResult cut = call("DELETE", "/api/v1/conversations/" + id + "/messages/" + from, "", admin_);
    ASSERT_EQ(cut.status, 200) << cut.body;
    EXPECT_EQ(json_of(cut), (json{{"deleted", 4}}));
    const json after = json_of(call("GET", "/api/v1/conversations/" + id, "", admin_));
    ASSERT_EQ(after["messages"].size(), 2u) << after;
    EXPECT_EQ(after["messages"][0], before["messages"][0]);
    EXPECT_EQ(after["messages"][1], before["messages"][1]);
    EXPECT_GT(after["updated_at_ms"].get<std::int64_t>(), before["updated_at_ms"].get<std::int64_t>());
    EXPECT_EQ(titles("", admin_), (std::vector<std::string>{"story", "newer"}));  // changed: to the front
    // Gone: a second time is a 404.
    EXPECT_EQ(call("DELETE", "/api/v1/conversations/" + id + "/messages/" + from, "", admin_).status, 404);

    // Resend the edited question: the conversation continues from the cut.
    const HttpResult resent =
        post_json("/api/v1/chat", {{"query", "And then, edited?"}, {"conversation_id", id}, {"max_tokens", 2}}, admin_);
    ASSERT_EQ(resent.status, 200) << resent.body;
    const json continued = json_of(call("GET", "/api/v1/conversations/" + id, "", admin_))["messages"];
    ASSERT_EQ(continued.size(), 4u);
    EXPECT_EQ(continued[2]["content"], "And then, edited?");
    EXPECT_EQ(continued[3]["id"], json_of(resent)["message_id"]);

    // Regenerate the last answer: only it goes.
    const HttpResult last =
        call("DELETE", "/api/v1/conversations/" + id + "/messages/" + continued[3]["id"].get<std::string>(), "", admin_);
    ASSERT_EQ(last.status, 200) << last.body;
    EXPECT_EQ(json_of(last)["deleted"], 1);
    EXPECT_EQ(json_of(call("GET", "/api/v1/conversations/" + id, "", admin_))["messages"].size(), 3u);
}

TEST_F(ConversationsApi, DeletingFromAMessageThatIsNotFoundIs404AndChangesNothing) {
    start();
    const HttpResult chat = post_json("/api/v1/chat", {{"query", "Once upon a time"}, {"max_tokens", 2}}, admin_);
    ASSERT_EQ(chat.status, 200) << chat.body;
    const std::string id = json_of(chat)["conversation_id"];
    const std::string message = json_of(chat)["message_id"];
    const HttpResult elsewhere = post_json("/api/v1/chat", {{"query", "Another story"}, {"max_tokens", 2}}, admin_);
    ASSERT_EQ(elsewhere.status, 200) << elsewhere.body;
    const json before = json_of(call("GET", "/api/v1/conversations/" + id, "", admin_));
    const std::string base = "/api/v1/conversations/" + id + "/messages/";

    for (const auto& [path, token] : std::vector<std::pair<std::string, std::string>>{
             {base + message, other_},  // another token's: exactly a missing one
             {"/api/v1/conversations/conv_0000000000000000/messages/" + message, admin_},
             {base + "msg_0000000000000000", admin_},
             {base + json_of(elsewhere)["message_id"].get<std::string>(), admin_},  // of another conversation
             {base + message.substr(0, 8), admin_},
         }) {
        const HttpResult r = call("DELETE", path, "", token);
        EXPECT_EQ(r.status, 404) << path << " -> " << r.body;
        EXPECT_EQ(json_of(r)["error"]["code"], "not_found") << r.body;
    }
    for (const std::string& path : {base, base + message + "/x", "/api/v1/conversations/" + id + "/other/" + message,
                                    "/api/v1/conversations//messages/" + message, "/api/v1/conversations/" + id + "/"}) {
        EXPECT_EQ(call("DELETE", path, "", admin_).status, 404) << path;
    }
    EXPECT_EQ(call("DELETE", base + message, "", std::nullopt).status, 401);
    for (const char* method : {"GET", "PATCH", "POST"}) {
        const HttpResult r = call(method, base + message, "", admin_);
        EXPECT_EQ(r.status, 405) << method;
        EXPECT_EQ(r.header("Allow").value_or(""), "DELETE");
    }
    EXPECT_EQ(json_of(call("GET", "/api/v1/conversations/" + id, "", admin_)), before);
}

// --- search ---------------------------------------------------------------------------

TEST_F(ConversationsApi, SearchFiltersTitlesAndMessagesServerSide) {
    start();
    create("Trip to PARIS", admin_);
    create("100% sure", admin_);
    create("snake_case", admin_);
    const std::string by_message = create("untitled", admin_);
    auto chat = post_json("/api/v1/chat",
                          {{"query", "Where does the Zebra live?"}, {"conversation_id", by_message}, {"max_tokens", 2}}, admin_);
    ASSERT_EQ(chat.status, 200) << chat.body;
    create("paris, but someone else's", other_);

    EXPECT_EQ(titles("?q=paris", admin_), std::vector<std::string>{"Trip to PARIS"});
    EXPECT_EQ(titles("?q=zebra", admin_), std::vector<std::string>{"untitled"});  // its question, not its title
    EXPECT_EQ(titles("?q=ZEBRA+live", admin_), std::vector<std::string>{"untitled"});  // '+' is a space
    EXPECT_EQ(titles("?q=zebra%20LIVE", admin_), std::vector<std::string>{"untitled"});
    EXPECT_EQ(titles("?q=%25", admin_), std::vector<std::string>{"100% sure"});  // '%' taken literally
    EXPECT_EQ(titles("?q=_", admin_), std::vector<std::string>{"snake_case"});
    EXPECT_TRUE(titles("?q=berlin", admin_).empty());
    EXPECT_EQ(titles("?q=", admin_).size(), 4u);  // empty: the whole list
    EXPECT_EQ(titles("?q=paris", other_), std::vector<std::string>{"paris, but someone else's"});

    // Paged like the list: newest first, the cursor continues the same search.
    create("paris again", admin_);
    const json first = json_of(call("GET", "/api/v1/conversations?q=PARIS&limit=1", "", admin_));
    ASSERT_EQ(first["conversations"].size(), 1u);
    EXPECT_EQ(first["conversations"][0]["title"], "paris again");
    ASSERT_TRUE(first["next_cursor"].is_string()) << first;
    const json second = json_of(call(
        "GET", "/api/v1/conversations?q=PARIS&limit=1&cursor=" + first["next_cursor"].get<std::string>(), "", admin_));
    ASSERT_EQ(second["conversations"].size(), 1u);
    EXPECT_EQ(second["conversations"][0]["title"], "Trip to PARIS");
    EXPECT_TRUE(second["next_cursor"].is_null());

    for (const std::string& query : {"?q=" + std::string(201, 'x'), std::string("?q=%zz"), std::string("?q=%4"),
                                     std::string("?q=%ff"), std::string("?q=a%00b")}) {
        const HttpResult r = call("GET", "/api/v1/conversations" + query, "", admin_);
        EXPECT_EQ(r.status, 400) << query << " -> " << r.body;
        EXPECT_EQ(json_of(r)["error"]["param"], "q") << r.body;
    }
    EXPECT_EQ(call("GET", "/api/v1/conversations?q=" + std::string(200, 'x'), "", admin_).status, 200);
}

// --- answers that did not finish --------------------------------------------------------

TEST_F(ConversationsApi, AStreamStoppedByTheClientIsKeptMarkedCancelled) {
    start({"--ctx-size", "2048"});
    // A finished answer first: its finish_reason is the one "done" reported.
    auto finished = post_json("/api/v1/chat", {{"query", "Once upon a time"}, {"max_tokens", 3}}, admin_);
    ASSERT_EQ(finished.status, 200) << finished.body;
    const std::string conversation = json_of(finished)["conversation_id"];
    const json done = json_of(finished);
    json stored = messages_when(conversation, 2);
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_FALSE(stored[0].contains("finish_reason")) << stored;  // user messages have none
    EXPECT_EQ(stored[1]["finish_reason"], done["finish_reason"]) << stored;
    // Its usage too, as "done" reported it (a reloaded page shows it).
    EXPECT_FALSE(stored[0].contains("usage")) << stored;
    EXPECT_EQ(stored[1]["usage"]["prompt_tokens"], done["usage"]["prompt_tokens"]) << stored;
    EXPECT_EQ(stored[1]["usage"]["completion_tokens"], done["usage"]["completion_tokens"]) << stored;
    EXPECT_EQ(stored[1]["usage"]["cached_tokens"], done["usage"]["cached_tokens"]) << stored;

    // Then a long answer, stopped by closing the connection after its first delta.
    const int fd = connect_loopback(server_->port());
    ASSERT_GE(fd, 0);
    const std::string body =
        json{{"query", "Tell me a long story"}, {"conversation_id", conversation}, {"max_tokens", 1900}, {"stream", true}}.dump();
    const std::string request = "POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin_ +
                                "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                                "\r\n\r\n" + body;
    ASSERT_TRUE(send_all(fd, request));
    std::string seen;
    const std::string marker = "event: delta\ndata: ";
    char buf[4096];
    while (seen.find(marker) == std::string::npos || seen.find('\n', seen.find(marker) + marker.size()) == std::string::npos) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        ASSERT_GT(n, 0) << seen;
        seen.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    const size_t data_at = seen.find(marker) + marker.size();
    const json first_delta = json::parse(seen.substr(data_at, seen.find('\n', data_at) - data_at), nullptr, false);
    ASSERT_TRUE(first_delta.is_object()) << seen;
    const std::string first_text = first_delta["text"];

    stored = messages_when(conversation, 4);
    ASSERT_EQ(stored.size(), 4u) << "the stopped exchange was not stored";
    EXPECT_EQ(stored[2]["role"], "user");
    EXPECT_EQ(stored[2]["content"], "Tell me a long story");
    EXPECT_EQ(stored[3]["role"], "assistant");
    EXPECT_EQ(stored[3]["finish_reason"], "cancelled");
    const std::string partial = stored[3]["content"];
    EXPECT_EQ(partial.rfind(first_text, 0), 0u) << "the stored answer does not start with what was streamed: " << partial;
    // Cut short: far from 1900 tokens of text.
    EXPECT_LT(partial.size(), 1900u * 3);

    // The conversation goes on from there: the partial answer is history.
    auto next = post_json("/api/v1/chat", {{"query", "And then?"}, {"conversation_id", conversation}, {"max_tokens", 2}}, admin_);
    ASSERT_EQ(next.status, 200) << next.body;
    EXPECT_EQ(messages_when(conversation, 6).size(), 6u);
}

TEST_F(ConversationsApi, AStoppedFirstQuestionCreatesItsConversation) {
    start({"--ctx-size", "2048"});
    const int fd = connect_loopback(server_->port());
    ASSERT_GE(fd, 0);
    const std::string body = json{{"query", "A brand new question"}, {"max_tokens", 1900}, {"stream", true}}.dump();
    const std::string request = "POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin_ +
                                "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                                "\r\n\r\n" + body;
    ASSERT_TRUE(send_all(fd, request));
    std::string seen;
    char buf[4096];
    while (seen.find("event: delta") == std::string::npos) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        ASSERT_GT(n, 0) << seen;
        seen.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    json list;
    for (int i = 0; i < 250; ++i) {
        list = json_of(call("GET", "/api/v1/conversations", "", admin_))["conversations"];
        if (!list.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0]["title"], "A brand new question");
    const json stored = messages_when(list[0]["id"], 2);
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0]["content"], "A brand new question");
    EXPECT_EQ(stored[1]["finish_reason"], "cancelled");
    EXPECT_FALSE(stored[1]["content"].get<std::string>().empty());
}

// Cloud mode against an upstream that closes after its first delta.
TEST_F(ConversationsApi, AStreamThatFailsMidAnswerIsKeptMarkedError) {
    FakeUpstream fake({UpstreamAct::CloseAfterFirst});
    std::ofstream(config_, std::ios::app) << "API_KEY=sk-test-key-0123456789\n";
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{"--config", config_},
        std::map<std::string, std::string>{{"UPSTREAM_URL", "http://127.0.0.1:" + std::to_string(fake.port()) + "/v1"},
                                           {"UPSTREAM_MODEL", "fake-model"},
                                           {"PROVIDER", "openai"},
                                           {"UPSTREAM_CONNECT_TIMEOUT_S", "2"}});
    ASSERT_TRUE(server_->started()) << server_->log();

    const HttpResult r = post_json("/api/v1/chat", {{"query", "hi"}, {"stream", true}}, admin_);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto events = parse_sse(r.body);
    ASSERT_GE(events.size(), 2u) << r.body;
    EXPECT_EQ(events.front().first, "delta");
    ASSERT_EQ(events.back().first, "error");
    const json error = json::parse(events.back().second);
    EXPECT_EQ(error["error"]["code"], "upstream_error");
    ASSERT_TRUE(error["conversation_id"].is_string()) << events.back().second;
    ASSERT_TRUE(error["message_id"].is_string()) << events.back().second;

    // Stored before the error event was sent.
    const HttpResult conversation = call("GET", "/api/v1/conversations/" + error["conversation_id"].get<std::string>(), "", admin_);
    ASSERT_EQ(conversation.status, 200);
    const json stored = json_of(conversation)["messages"];
    ASSERT_EQ(stored.size(), 2u) << stored;
    EXPECT_EQ(stored[0]["content"], "hi");
    EXPECT_EQ(stored[1]["id"], error["message_id"]);
    EXPECT_EQ(stored[1]["content"], "Hello");
    EXPECT_EQ(stored[1]["finish_reason"], "error");

    // Not streamed, the client sees only an error status: nothing is kept.
    EXPECT_EQ(post_json("/api/v1/chat", {{"query", "hi again"}}, admin_).status, 502);
    EXPECT_EQ(json_of(call("GET", "/api/v1/conversations", "", admin_))["conversations"].size(), 1u);
}

}  // namespace
}  // namespace clawbot::test
