// RedisStore beyond the shared contract (service_store_test.cpp runs that on
// Redis too): the STORE URL, several nodes on one Redis, Redis killed, hung
// and restarted under a live store, the password kept out of every message,
// the AOF check, the layout version. Each test starts its own redis-server.
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "service/auth/token_verifier.h"
#include "service/store/redis_store.h"
#include "service/store/redis_url.h"
#include "service/store/store_factory.h"
#include "support/redis_server.h"

namespace clawbot::service {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

template <class T>
T unwrap(Result<T> result) {
    if (!result.ok()) throw std::runtime_error(result.error().message);
    return std::move(result).value();
}

std::unique_ptr<RedisStore> open_redis(const std::string& url) {
    return unwrap(RedisStore::open(unwrap(parse_redis_url(url))));
}

// How long `call` takes.
milliseconds timed(const std::function<void()>& call) {
    const Clock::time_point start = Clock::now();
    call();
    return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// Retries `call` until it succeeds or `limit` passes; true when it did.
bool eventually(const std::function<bool()>& call, milliseconds limit = milliseconds(5000)) {
    const Clock::time_point give_up = Clock::now() + limit;
    while (Clock::now() < give_up) {
        if (call()) return true;
        std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
}

// --- the STORE URL ------------------------------------------------------------------

TEST(RedisUrl, ParsesHostPortDatabaseAndCredentials) {
    const RedisEndpoint plain = unwrap(parse_redis_url("redis://cache.internal:6380/2"));
    EXPECT_EQ(plain.host, "cache.internal");
    EXPECT_EQ(plain.port, 6380);
    EXPECT_EQ(plain.db, 2);
    EXPECT_EQ(plain.password, "");
    EXPECT_EQ(plain.display(), "redis://cache.internal:6380/2");

    const RedisEndpoint defaults = unwrap(parse_redis_url("redis://10.0.0.5"));
    EXPECT_EQ(defaults.port, 6379);
    EXPECT_EQ(defaults.db, 0);
    EXPECT_EQ(unwrap(parse_redis_url("redis://10.0.0.5/")).db, 0);

    const RedisEndpoint secret = unwrap(parse_redis_url("redis://:p%40ss:w/rd@127.0.0.1:6379/0"));
    EXPECT_EQ(secret.username, "");
    EXPECT_EQ(secret.password, "p@ss:w/rd");  // %40 decoded; a raw '/' and ':' kept
    EXPECT_EQ(secret.display(), "redis://***@127.0.0.1:6379/0");

    const RedisEndpoint user = unwrap(parse_redis_url("redis://clawbot:hunter2@[::1]:7000/1"));
    EXPECT_EQ(user.username, "clawbot");
    EXPECT_EQ(user.password, "hunter2");
    EXPECT_EQ(user.host, "::1");
    EXPECT_EQ(user.port, 7000);
    EXPECT_EQ(user.display(), "redis://clawbot:***@[::1]:7000/1");
}

TEST(RedisUrl, RefusesWhatItCannotUseWithoutShowingThePassword) {
    const std::string password = "Sup3r-S3cret";
    const std::pair<std::string, std::string> bad[] = {
        {"redis://:" + password + "@host:0/0", "port"},
        {"redis://:" + password + "@host:65536/0", "port"},
        {"redis://:" + password + "@host:port/0", "port"},
        {"redis://:" + password + "@host:/0", "port"},
        {"redis://:" + password + "@:6379/0", "no host"},
        {"redis://:" + password + "@host:6379/zero", "database number"},
        {"redis://:" + password + "@host:6379/0/1", "database number"},
        {"redis://:" + password + "@host:6379/-1", "database number"},
        {"redis://:" + password + "@host:6379/0?timeout=1", "query"},
        {"redis://" + password + "@host:6379/0", ":PASSWORD@"},
        {"redis://:@host:6379/0", "empty password"},
        {"redis://:bad%zz" + password + "@host/0", "%-escape"},
        {"rediss://:" + password + "@host:6379/0", "TLS"},
        {"http://:" + password + "@host:6379/0", "redis://"},
        {"redis://[::1:6379/0", "unclosed"},
    };
    for (const auto& [url, why] : bad) {
        Result<RedisEndpoint> parsed = parse_redis_url(url);
        ASSERT_FALSE(parsed.ok()) << url;
        const std::string& message = parsed.error().message;
        EXPECT_EQ(message.rfind("STORE ", 0), 0u) << message;
        EXPECT_NE(message.find(why), std::string::npos) << url << " -> " << message;
        EXPECT_EQ(message.find(password), std::string::npos) << "password leaked: " << message;
        EXPECT_EQ(message.find("zz"), std::string::npos) << "password leaked: " << message;
    }
}

TEST(StoreSetting, NamesTheChoicesAndNeverFallsBack) {
    Settings settings;
    settings.data_dir = test::make_temp_dir() + "/data";
    for (const std::string& value : {std::string("postgres"), std::string("sqlite3"), std::string("")}) {
        settings.store = value;
        Result<OpenedStore> opened = open_store(settings);
        ASSERT_FALSE(opened.ok()) << value;
        EXPECT_NE(opened.error().message.find("expected sqlite or redis://"), std::string::npos)
            << opened.error().message;
    }
    settings.store = "mysql://root:Hidden-Pw@db/clawbot";
    Result<OpenedStore> foreign = open_store(settings);
    ASSERT_FALSE(foreign.ok());
    EXPECT_EQ(foreign.error().message.find("Hidden-Pw"), std::string::npos) << foreign.error().message;

    // Nothing listens on a port just freed: an error, and no SQLite file as a fallback.
    test::RedisServer scratch;
    ASSERT_TRUE(scratch.running()) << scratch.error();
    scratch.kill();
    settings.store = "redis://:Hidden-Pw@127.0.0.1:" + std::to_string(scratch.port()) + "/0";
    Result<OpenedStore> unreachable = open_store(settings);
    ASSERT_FALSE(unreachable.ok());
    EXPECT_NE(unreachable.error().message.find("redis://***@127.0.0.1:"), std::string::npos)
        << unreachable.error().message;
    EXPECT_EQ(unreachable.error().message.find("Hidden-Pw"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(settings.data_dir));
    std::filesystem::remove_all(std::filesystem::path(settings.data_dir).parent_path());
}

// --- several nodes -------------------------------------------------------------------

class RedisStoreTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(redis_.running()) << redis_.error(); }
    test::RedisServer redis_;
};

TEST_F(RedisStoreTest, TheFactoryOpensRedisAndFindsTheAofSafe) {
    Settings settings;
    settings.data_dir = "/nonexistent/never-created";
    settings.store = redis_.url();
    Result<OpenedStore> opened = open_store(settings);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(opened->description, "Redis at " + redis_.url());
    EXPECT_TRUE(opened->warnings.empty()) << opened->warnings.front();
    EXPECT_TRUE(unwrap(opened->store->ping()));
}

TEST_F(RedisStoreTest, ARevokedTokenIsRefusedByEveryNodeOnItsNextLookup) {
    std::unique_ptr<RedisStore> node_a = open_redis(redis_.url());
    std::unique_ptr<RedisStore> node_b = open_redis(redis_.url());
    const CreatedToken token = unwrap(node_a->create_token("shared", false));

    const auto before = unwrap(verify_access_token(*node_b, token.plaintext));
    ASSERT_TRUE(before.has_value());
    EXPECT_EQ(before->id, token.record.id);

    ASSERT_TRUE(unwrap(node_a->revoke_token(token.record.id)));
    EXPECT_EQ(unwrap(verify_access_token(*node_b, token.plaintext)), std::nullopt);
    EXPECT_EQ(unwrap(verify_access_token(*node_a, token.plaintext)), std::nullopt);
    EXPECT_EQ(unwrap(node_b->count_active_tokens()), 0);
}

TEST_F(RedisStoreTest, AConversationStartedOnOneNodeContinuesOnAnother) {
    std::unique_ptr<RedisStore> node_a = open_redis(redis_.url());
    std::unique_ptr<RedisStore> node_b = open_redis(redis_.url());
    const std::string owner = unwrap(node_a->create_token("user", false)).record.id;
    const ConversationRecord conversation = unwrap(node_a->create_conversation(owner, "t", ""));
    ASSERT_TRUE(unwrap(node_a->append_exchange(owner, conversation.id, "q1", "a1", {}, MessageFinish::Stop)).has_value());
    const auto second = unwrap(node_b->append_exchange(owner, conversation.id, "q2", "a2", {}, MessageFinish::Stop));
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->user.seq, 3);
    const auto listed = unwrap(node_a->list_messages(owner, conversation.id));
    ASSERT_TRUE(listed.has_value());
    ASSERT_EQ(listed->size(), 4u);
    EXPECT_EQ((*listed)[3].content, "a2");
}

// The documented key layout, which operators and the cluster docs rely on.
TEST_F(RedisStoreTest, KeysFollowTheDocumentedLayout) {
    std::unique_ptr<RedisStore> store = open_redis(redis_.url());
    const CreatedToken token = unwrap(store->create_token("layout", true));
    const std::string owner = token.record.id;
    const ConversationRecord conversation = unwrap(store->create_conversation(owner, "t", "s"));
    ASSERT_TRUE(unwrap(store->append_exchange(owner, conversation.id, "q", "a", {}, MessageFinish::Stop)).has_value());

    EXPECT_EQ(redis_.command({"GET", "clawbot:schema"}), "1");
    EXPECT_EQ(redis_.command({"TYPE", "clawbot:token:" + owner}), "hash");
    EXPECT_EQ(redis_.command({"HGET", "clawbot:token:" + owner, "name"}), "layout");
    EXPECT_EQ(redis_.command({"SISMEMBER", "clawbot:tokens:active", owner}), "1");
    EXPECT_EQ(redis_.command({"ZSCORE", "clawbot:tokens", owner}), std::to_string(token.record.created_at_ms));
    const std::string digest = redis_.command({"HGET", "clawbot:token:" + owner, "digest"});
    EXPECT_EQ(digest.size(), 64u);
    EXPECT_EQ(redis_.command({"GET", "clawbot:token_digest:" + digest}), owner);
    EXPECT_EQ(redis_.command({"HGET", "clawbot:conv:" + owner + ":" + conversation.id, "owner"}), owner);
    EXPECT_EQ(redis_.command({"LLEN", "clawbot:msgs:" + owner + ":" + conversation.id}), "2");
    const std::string member = redis_.command({"ZRANGE", "clawbot:convs:" + owner, "0", "-1"});
    EXPECT_EQ(member.size(), 21u + conversation.id.size()) << member;
    EXPECT_EQ(member.substr(21), conversation.id);
    EXPECT_EQ(redis_.command({"HGET", "clawbot:conv:" + owner + ":" + conversation.id, "updated_at_ms"}),
              std::to_string(std::stoll(member.substr(0, 20))));
    // Nothing, not even the digest's token, in plain text.
    EXPECT_EQ(redis_.command({"KEYS", "*" + token.plaintext + "*"}), "");
}

// A finish other than stop is a field of the conversation's hash; messages
// without one (all those written before finish reasons existed) read stop.
TEST_F(RedisStoreTest, FinishReasonsLiveInTheConversationHashAndDefaultToStop) {
    std::unique_ptr<RedisStore> store = open_redis(redis_.url());
    const std::string owner = unwrap(store->create_token("user", false)).record.id;
    const ConversationRecord conversation = unwrap(store->create_conversation(owner, "t", ""));
    const std::string hash = "clawbot:conv:" + owner + ":" + conversation.id;
    const std::string list = "clawbot:msgs:" + owner + ":" + conversation.id;
    // As the release before finish reasons wrote an exchange: two elements, no field.
    ASSERT_EQ(redis_.command({"RPUSH", list, "msg_00000000000000a1\nuser\n1000\n0\n0\n0\nold question",
                              "msg_00000000000000a2\nassistant\n1000\n5\n2\n0\nold answer"}),
              "2");
    ASSERT_TRUE(unwrap(store->append_exchange(owner, conversation.id, "q", "stopped", {}, MessageFinish::Cancelled))
                    .has_value());
    ASSERT_TRUE(unwrap(store->append_exchange(owner, conversation.id, "q", "done", {}, MessageFinish::Stop)).has_value());

    EXPECT_EQ(redis_.command({"HGET", hash, "finish:4"}), "cancelled");
    EXPECT_EQ(redis_.command({"HEXISTS", hash, "finish:6"}), "0");  // stop is not written
    EXPECT_EQ(redis_.command({"HEXISTS", hash, "finish:3"}), "0");
    const auto listed = unwrap(store->list_messages(owner, conversation.id));
    ASSERT_TRUE(listed.has_value());
    ASSERT_EQ(listed->size(), 6u);
    EXPECT_EQ((*listed)[1].content, "old answer");
    EXPECT_EQ((*listed)[1].finish, MessageFinish::Stop);
    EXPECT_EQ((*listed)[3].finish, MessageFinish::Cancelled);
    EXPECT_EQ((*listed)[5].finish, MessageFinish::Stop);

    ASSERT_TRUE(unwrap(store->delete_conversation(owner, conversation.id)));
    EXPECT_EQ(redis_.command({"EXISTS", hash}), "0");  // the fields go with it
}

// Deleting from a message trims the list, drops the cut messages'
// finish:<seq> fields (their seqs are given out again) and moves the
// conversation's member in the owner's index, in one script.
TEST_F(RedisStoreTest, DeletingFromAMessageTrimsTheListAndItsFinishFields) {
    std::unique_ptr<RedisStore> store = open_redis(redis_.url());
    const std::string owner = unwrap(store->create_token("user", false)).record.id;
    const ConversationRecord conversation = unwrap(store->create_conversation(owner, "t", ""));
    const std::string hash = "clawbot:conv:" + owner + ":" + conversation.id;
    const std::string list = "clawbot:msgs:" + owner + ":" + conversation.id;
    const std::string index = "clawbot:convs:" + owner;
    ASSERT_TRUE(unwrap(store->append_exchange(owner, conversation.id, "q", "a", {}, MessageFinish::Length)).has_value());
    const auto cut = unwrap(store->append_exchange(owner, conversation.id, "q", "a", {}, MessageFinish::Cancelled));
    ASSERT_TRUE(cut.has_value());
    ASSERT_TRUE(unwrap(store->append_exchange(owner, conversation.id, "q", "a", {}, MessageFinish::Error)).has_value());
    ASSERT_EQ(redis_.command({"HGET", hash, "finish:6"}), "error");
    const std::string member_before = redis_.command({"ZRANGE", index, "0", "-1"});
    std::this_thread::sleep_for(milliseconds(3));

    ASSERT_EQ(unwrap(store->delete_messages_from(owner, conversation.id, cut->assistant.id)), 3);  // seqs 4, 5, 6
    EXPECT_EQ(redis_.command({"LLEN", list}), "3");
    EXPECT_EQ(redis_.command({"HGET", hash, "finish:2"}), "length");  // before the cut: kept
    EXPECT_EQ(redis_.command({"HEXISTS", hash, "finish:4"}), "0");
    EXPECT_EQ(redis_.command({"HEXISTS", hash, "finish:6"}), "0");
    const std::string member = redis_.command({"ZRANGE", index, "0", "-1"});  // still one member, moved
    EXPECT_EQ(redis_.command({"ZCARD", index}), "1");
    EXPECT_GT(member, member_before);
    EXPECT_EQ(member.substr(21), conversation.id);
    EXPECT_EQ(redis_.command({"HGET", hash, "updated_at_ms"}), std::to_string(std::stoll(member.substr(0, 20))));

    // From the first message: the list goes, the conversation stays.
    const auto listed = unwrap(store->list_messages(owner, conversation.id));
    ASSERT_EQ(unwrap(store->delete_messages_from(owner, conversation.id, (*listed)[0].id)), 3);
    EXPECT_EQ(redis_.command({"EXISTS", list}), "0");
    EXPECT_EQ(redis_.command({"HEXISTS", hash, "finish:2"}), "0");
    EXPECT_EQ(redis_.command({"HGET", hash, "title"}), "t");
    ASSERT_TRUE(unwrap(store->list_messages(owner, conversation.id)).has_value());
}

TEST_F(RedisStoreTest, ScriptsAreLoadedAgainWhenRedisForgotThem) {
    std::unique_ptr<RedisStore> store = open_redis(redis_.url());
    const std::string owner = unwrap(store->create_token("user", false)).record.id;
    ASSERT_EQ(redis_.command({"SCRIPT", "FLUSH"}), "OK");  // as after a restart
    const ConversationRecord conversation = unwrap(store->create_conversation(owner, "t", ""));
    ASSERT_EQ(redis_.command({"SCRIPT", "FLUSH"}), "OK");
    EXPECT_TRUE(unwrap(store->append_exchange(owner, conversation.id, "q", "a", {}, MessageFinish::Stop)).has_value());
    EXPECT_EQ(unwrap(store->list_messages(owner, conversation.id))->size(), 2u);
}

TEST_F(RedisStoreTest, RefusesADatabaseOfANewerLayout) {
    ASSERT_EQ(redis_.command({"SET", "clawbot:schema", "2"}), "OK");
    Result<std::unique_ptr<RedisStore>> opened = RedisStore::open(unwrap(parse_redis_url(redis_.url())));
    ASSERT_FALSE(opened.ok());
    EXPECT_NE(opened.error().message.find("newer"), std::string::npos) << opened.error().message;
}

// --- Redis down, hung, back ------------------------------------------------------------

TEST_F(RedisStoreTest, RedisDownFailsFastThenTheSameStoreRecoversWithEveryAcknowledgedMessage) {
    std::unique_ptr<RedisStore> store = open_redis(redis_.url());
    const CreatedToken token = unwrap(store->create_token("user", false));
    const std::string owner = token.record.id;
    const ConversationRecord conversation = unwrap(store->create_conversation(owner, "t", ""));
    const auto acknowledged = unwrap(store->append_exchange(owner, conversation.id, "before", "crash", {1, 2, 3}, MessageFinish::Stop));
    ASSERT_TRUE(acknowledged.has_value());

    redis_.kill();  // SIGKILL: only what reached the AOF survives
    const TokenDigest digest = unwrap(digest_access_token(token.plaintext));
    const std::vector<std::pair<std::string, std::function<bool()>>> calls = {
        {"append_exchange", [&] { return store->append_exchange(owner, conversation.id, "lost", "lost", {}, MessageFinish::Stop).ok(); }},
        {"append_message",
         [&] { return store->append_message(owner, conversation.id, MessageRole::User, "lost", {}).ok(); }},
        {"create_conversation", [&] { return store->create_conversation(owner, "lost", "").ok(); }},
        {"find_token", [&] { return store->find_token(digest).ok(); }},
        {"list_messages", [&] { return store->list_messages(owner, conversation.id).ok(); }},
        {"list_conversations", [&] { return store->list_conversations(owner, 10, std::nullopt).ok(); }},
        {"create_token", [&] { return store->create_token("lost", false).ok(); }},
        {"ping", [&] { return store->ping().ok(); }},
    };
    for (int round = 0; round < 3; ++round) {  // the first connect fails, then the backoff answers
        for (const auto& [name, call] : calls) {
            bool succeeded = true;
            const milliseconds took = timed([&] { succeeded = call(); });
            EXPECT_FALSE(succeeded) << name;
            EXPECT_LT(took.count(), 2000) << name;
        }
    }
    Result<bool> ping = store->ping();
    ASSERT_FALSE(ping.ok());
    EXPECT_NE(ping.error().message.find("Redis at " + redis_.url()), std::string::npos) << ping.error().message;

    ASSERT_TRUE(redis_.restart()) << redis_.error();  // same port and directory: the AOF is replayed
    ASSERT_TRUE(eventually([&] { return store->ping().ok(); })) << "the store did not reconnect";
    const auto listed = unwrap(store->list_messages(owner, conversation.id));
    ASSERT_TRUE(listed.has_value());
    ASSERT_EQ(listed->size(), 2u);  // the acknowledged pair, and nothing the failed calls tried
    EXPECT_EQ((*listed)[0].id, acknowledged->user.id);
    EXPECT_EQ((*listed)[1].content, "crash");
    EXPECT_EQ((*listed)[1].usage.cached_tokens, 3);
    EXPECT_EQ(unwrap(store->list_conversations(owner, 10, std::nullopt)).items.size(), 1u);
    EXPECT_EQ(unwrap(store->list_tokens()).size(), 1u);
    EXPECT_TRUE(unwrap(verify_access_token(*store, token.plaintext)).has_value());
    EXPECT_TRUE(unwrap(store->append_message(owner, conversation.id, MessageRole::User, "after", {})).has_value());
}

TEST_F(RedisStoreTest, ARestartBetweenCallsCostsNoFailedCall) {
    std::unique_ptr<RedisStore> store = open_redis(redis_.url());
    const std::string owner = unwrap(store->create_token("user", false)).record.id;
    const ConversationRecord conversation = unwrap(store->create_conversation(owner, "t", ""));
    // Several pooled connections, all idle when Redis goes away.
    std::vector<std::thread> readers;
    for (int i = 0; i < 4; ++i) readers.emplace_back([&] { (void)store->list_messages(owner, conversation.id); });
    for (std::thread& reader : readers) reader.join();

    ASSERT_TRUE(redis_.restart()) << redis_.error();
    // The stale connections are noticed before use, not by failing a write.
    Result<std::optional<MessageRecord>> appended =
        store->append_message(owner, conversation.id, MessageRole::User, "first call after the restart", {});
    ASSERT_TRUE(appended.ok()) << appended.error().message;
    EXPECT_TRUE(appended->has_value());
}

TEST_F(RedisStoreTest, AHungRedisTimesOutWithinTwoSecondsAndIsUsedAgainWhenItAnswers) {
    std::unique_ptr<RedisStore> store = open_redis(redis_.url());
    const CreatedToken token = unwrap(store->create_token("user", false));
    const TokenDigest digest = unwrap(digest_access_token(token.plaintext));

    redis_.pause();  // accepts connections, answers nothing
    // On the pooled connection; on a fresh one once the backoff has passed;
    // at once while the backoff runs.
    for (const int pause_ms : {150, 0, 0}) {
        Result<std::optional<StoredToken>> found = Error{};
        const milliseconds took = timed([&] { found = store->find_token(digest); });
        ASSERT_FALSE(found.ok());
        EXPECT_LT(took.count(), 2000);
        EXPECT_NE(found.error().message.find("Redis at"), std::string::npos) << found.error().message;
        std::this_thread::sleep_for(milliseconds(pause_ms));
    }
    redis_.resume();
    ASSERT_TRUE(eventually([&] { return store->find_token(digest).ok(); })) << "the store did not recover";
    EXPECT_TRUE(unwrap(store->find_token(digest)).has_value());
}

// --- secrets and configuration ------------------------------------------------------------

TEST(RedisStorePassword, NeverAppearsInAnyMessage) {
    const std::string password = "Pa55-word-Only-Redis-Knows";
    test::RedisServer redis({.aof_always = true, .password = password});
    ASSERT_TRUE(redis.running()) << redis.error();
    auto url_with = [&](const std::string& secret) {
        return "redis://:" + secret + "@127.0.0.1:" + std::to_string(redis.port()) + "/0";
    };

    std::unique_ptr<RedisStore> store = open_redis(url_with(password));
    const std::string owner = unwrap(store->create_token("user", false)).record.id;
    EXPECT_EQ(store->description().find(password), std::string::npos);

    std::vector<std::string> messages;
    const std::string wrong = "Wr0ng-Guess-Pa55";
    Result<std::unique_ptr<RedisStore>> refused = RedisStore::open(unwrap(parse_redis_url(url_with(wrong))));
    ASSERT_FALSE(refused.ok());
    messages.push_back(refused.error().message);
    Result<std::unique_ptr<RedisStore>> anonymous =
        RedisStore::open(unwrap(parse_redis_url("redis://127.0.0.1:" + std::to_string(redis.port()) + "/0")));
    ASSERT_FALSE(anonymous.ok());
    messages.push_back(anonymous.error().message);

    redis.kill();
    for (int i = 0; i < 2; ++i) {
        Result<ConversationRecord> failed = store->create_conversation(owner, "t", "");
        ASSERT_FALSE(failed.ok());
        messages.push_back(failed.error().message);
    }
    for (const std::string& message : messages) {
        EXPECT_EQ(message.find(password), std::string::npos) << message;
        EXPECT_EQ(message.find(wrong), std::string::npos) << message;
    }
    EXPECT_NE(messages[0].find("redis://***@127.0.0.1"), std::string::npos) << messages[0];
}

TEST(RedisStoreDurability, WarnsWhenRedisCanLoseAcknowledgedWrites) {
    test::RedisServer without_aof({.aof_always = false, .password = ""});
    ASSERT_TRUE(without_aof.running()) << without_aof.error();
    std::unique_ptr<RedisStore> store = open_redis(without_aof.url());
    ASSERT_TRUE(store->durability_warning().has_value());
    EXPECT_NE(store->durability_warning()->find("appendfsync always"), std::string::npos);

    ASSERT_EQ(without_aof.command({"CONFIG", "SET", "appendonly", "yes"}), "OK");
    ASSERT_EQ(without_aof.command({"CONFIG", "SET", "appendfsync", "everysec"}), "OK");
    EXPECT_NE(open_redis(without_aof.url())->durability_warning()->find("appendfsync everysec"), std::string::npos);
    ASSERT_EQ(without_aof.command({"CONFIG", "SET", "appendfsync", "always"}), "OK");
    EXPECT_FALSE(open_redis(without_aof.url())->durability_warning().has_value());
}

}  // namespace
}  // namespace clawbot::service
