// The ConversationStore contract, run against both stores: SqliteStore on
// real database files and RedisStore on a real redis-server the test starts
// (support/redis_server.h). Tokens, ownership isolation, keyset paging,
// byte-exact content, system prompts, deleting from a message on,
// concurrency, two stores sharing one database. Then
// what only SQLite has: file setup, schema versions, durability across
// SIGKILL of the writer. Redis's own failure modes: service_redis_store_test.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "service/auth/token_verifier.h"
#include "service/store/sqlite_schema.h"
#include "service/store/sqlite_store.h"
#include "service/store/store_factory.h"
#include "support/redis_server.h"
#include "support/test_support.h"

namespace clawbot::service {
namespace {

template <class T>
T unwrap(Result<T> result) {
    if (!result.ok()) throw std::runtime_error(result.error().message);
    return std::move(result).value();
}

// A second, raw connection, to look at what the store really wrote.
class RawDatabase {
public:
    explicit RawDatabase(const std::string& path) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
            throw std::runtime_error("cannot open " + path);
        }
    }
    ~RawDatabase() { sqlite3_close(db_); }
    std::string text(const char* sql) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) {
            throw std::runtime_error(sqlite3_errmsg(db_));
        }
        std::string value;
        if (sqlite3_step(stmt) == SQLITE_ROW) {
            value.assign(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
        }
        sqlite3_finalize(stmt);
        return value;
    }
    std::int64_t integer(const char* sql) { return std::stoll(text(sql)); }
    void execute(const char* sql) {
        if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
            throw std::runtime_error(sqlite3_errmsg(db_));
        }
    }

private:
    sqlite3* db_ = nullptr;
};

mode_t mode_of(const std::string& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 07777;
}

enum class Backend { Sqlite, Redis };

// One store under test, opened through open_store() as `serve` opens it.
// SQLite: a data directory not created yet (open makes it). Redis: a fresh
// redis-server per test, so tests never see each other's keys.
class StoreTestBase : public ::testing::Test {
protected:
    virtual Backend backend() const = 0;

    void SetUp() override {
        dir_ = test::make_temp_dir() + "/data";
        settings_.data_dir = dir_;
        if (backend() == Backend::Redis) {
            redis_ = std::make_unique<test::RedisServer>();
            ASSERT_TRUE(redis_->running()) << redis_->error();
            settings_.store = redis_->url();
        }
        reopen();
        alice_ = unwrap(store_->create_token("alice", false)).record.id;
        bob_ = unwrap(store_->create_token("bob", false)).record.id;
    }
    void TearDown() override {
        store_.reset();
        redis_.reset();
        std::filesystem::remove_all(std::filesystem::path(dir_).parent_path());
    }

    // Another store on the same data: the CLI beside the server, or another node.
    std::unique_ptr<ConversationStore> open_another() {
        Result<OpenedStore> opened = open_store(settings_);
        if (!opened.ok()) throw std::runtime_error(opened.error().message);
        return std::move(opened->store);
    }

    void reopen() {
        store_.reset();
        store_ = open_another();
    }

    // Messages left in the store's own storage, read around the store.
    std::int64_t stored_message_count() {
        if (backend() == Backend::Sqlite) return RawDatabase(db_path()).integer("SELECT count(*) FROM messages");
        const std::string count = redis_->command(
            {"EVAL",
             "local n = 0 for _, k in ipairs(redis.call('KEYS', 'clawbot:msgs:*')) do "
             "n = n + redis.call('LLEN', k) end return n",
             "0"});
        return std::stoll(count);
    }

    std::string db_path() const { return SqliteStore::database_path(dir_); }

    ConversationRecord new_conversation(const std::string& owner, const std::string& title = "t") {
        return unwrap(store_->create_conversation(owner, title, "be brief"));
    }

    MessageRecord append(const std::string& owner, const std::string& conversation,
                         std::string_view content, MessageRole role = MessageRole::User) {
        std::optional<MessageRecord> message =
            unwrap(store_->append_message(owner, conversation, role, content, TokenUsage{}));
        if (!message) throw std::runtime_error("append: conversation not found");
        return *message;
    }

    std::vector<MessageRecord> messages(const std::string& owner, const std::string& conversation) {
        auto listed = unwrap(store_->list_messages(owner, conversation));
        if (!listed) throw std::runtime_error("list_messages: conversation not found");
        return *listed;
    }

    std::string dir_;
    Settings settings_;
    std::unique_ptr<test::RedisServer> redis_;
    std::unique_ptr<ConversationStore> store_;
    std::string alice_;
    std::string bob_;
};

class StoreTest : public StoreTestBase, public ::testing::WithParamInterface<Backend> {
protected:
    Backend backend() const override { return GetParam(); }
};

INSTANTIATE_TEST_SUITE_P(Stores, StoreTest, ::testing::Values(Backend::Sqlite, Backend::Redis),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                             return info.param == Backend::Sqlite ? "Sqlite" : "Redis";
                         });

// What only the SQLite store has: files, pragmas, schema versions, a writer
// killed with its connection open.
class SqliteStoreTest : public StoreTestBase {
protected:
    Backend backend() const override { return Backend::Sqlite; }
};

// --- files, pragmas, schema -----------------------------------------------------------

TEST_F(SqliteStoreTest, CreatesAPrivateDirectoryAndDatabaseInWalMode) {
    EXPECT_EQ(mode_of(dir_), 0700u);
    EXPECT_EQ(mode_of(db_path()), 0600u);
    RawDatabase raw(db_path());
    EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");  // persistent in the file
    EXPECT_EQ(raw.integer("PRAGMA user_version"), latest_schema_version());
    EXPECT_EQ(raw.integer("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                          "('tokens', 'conversations', 'messages')"),
              3);
}

TEST_P(StoreTest, ReopeningKeepsDataAndDoesNotMigrateAgain) {
    const ConversationRecord conversation = new_conversation(alice_, "kept");
    reopen();
    reopen();
    const auto found = unwrap(store_->get_conversation(alice_, conversation.id));
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->title, "kept");
}

// --- another process holding the write lock ------------------------------------------

TEST_F(SqliteStoreTest, ReadsDoNotWaitWhileAnotherConnectionHoldsTheWriteLock) {
    const ConversationRecord conversation = new_conversation(alice_, "readable");
    RawDatabase other(db_path());
    other.execute("BEGIN IMMEDIATE");  // as `clawbot token create` or a backup would
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(unwrap(store_->get_conversation(alice_, conversation.id)).has_value());
    EXPECT_TRUE(unwrap(store_->list_messages(alice_, conversation.id)).has_value());
    EXPECT_EQ(unwrap(store_->list_conversations(alice_, 10, std::nullopt)).items.size(), 1u);
    EXPECT_FALSE(unwrap(store_->list_stored_tokens()).empty());
    EXPECT_TRUE(unwrap(store_->ping()));
    // The store's busy timeout is 5 s: a read that waited for the lock
    // would take that long.
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    other.execute("ROLLBACK");
}

TEST_F(SqliteStoreTest, AWriteThatCannotGetTheLockInTimeFailsAndStoresNothing) {
    const ConversationRecord conversation = new_conversation(alice_, "locked");
    store_.reset();
    auto opened = SqliteStore::open(dir_, SqliteOptions{.busy_timeout_ms = 200, .readers = 1});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    SqliteStore& store = **opened;
    RawDatabase other(db_path());
    other.execute("BEGIN IMMEDIATE");
    const auto start = std::chrono::steady_clock::now();
    auto appended = store.append_exchange(alice_, conversation.id, "q", "a", TokenUsage{}, MessageFinish::Stop);
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_FALSE(appended.ok());
    EXPECT_GE(waited, std::chrono::milliseconds(150));
    EXPECT_LT(waited, std::chrono::seconds(3));
    other.execute("ROLLBACK");
    EXPECT_TRUE(unwrap(store.list_messages(alice_, conversation.id))->empty());
}

TEST_F(SqliteStoreTest, RefusesADatabaseFromANewerClawbot) {
    store_.reset();
    RawDatabase(db_path()).execute("PRAGMA user_version = 99");
    Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::open(dir_);
    ASSERT_FALSE(opened.ok());
    EXPECT_NE(opened.error().message.find("newer"), std::string::npos) << opened.error().message;
}

TEST_F(SqliteStoreTest, RefusesADataDirThatIsAFile) {
    const std::string file = std::filesystem::path(dir_).parent_path().string() + "/plain-file";
    std::ofstream(file) << "x";
    Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::open(file);
    ASSERT_FALSE(opened.ok());
    EXPECT_NE(opened.error().message.find("not a directory"), std::string::npos);
}

TEST_P(StoreTest, PingAnswers) {
    Result<bool> ping = store_->ping();
    ASSERT_TRUE(ping.ok()) << ping.error().message;
    EXPECT_TRUE(*ping);
}

// --- tokens -----------------------------------------------------------------------

TEST_P(StoreTest, TokensListRevokeAndCount) {
    const CreatedToken admin = unwrap(store_->create_token("root", true));
    EXPECT_EQ(unwrap(store_->count_active_tokens()), 3);

    const std::vector<TokenRecord> listed = unwrap(store_->list_tokens());
    ASSERT_EQ(listed.size(), 3u);
    std::set<std::string> names;
    for (const TokenRecord& token : listed) names.insert(token.name);
    EXPECT_EQ(names, (std::set<std::string>{"alice", "bob", "root"}));
    const auto root = std::find_if(listed.begin(), listed.end(),
                                   [](const TokenRecord& t) { return t.name == "root"; });
    EXPECT_TRUE(root->admin);
    EXPECT_EQ(root->id, admin.record.id);
    EXPECT_GT(root->created_at_ms, 0);

    EXPECT_TRUE(unwrap(store_->revoke_token(admin.record.id)));
    EXPECT_TRUE(unwrap(store_->revoke_token(admin.record.id)));  // idempotent, still "found"
    EXPECT_FALSE(unwrap(store_->revoke_token("tok_doesnotexist")));
    EXPECT_EQ(unwrap(store_->count_active_tokens()), 2);

    const auto stored = unwrap(store_->find_token(unwrap(digest_access_token(admin.plaintext))));
    ASSERT_TRUE(stored.has_value());
    EXPECT_TRUE(stored->record.revoked);  // revoked tokens are found, marked revoked
    EXPECT_EQ(unwrap(store_->find_token(unwrap(digest_access_token("cb_unknown")))), std::nullopt);
}

// --- conversations and ownership --------------------------------------------------------

TEST_P(StoreTest, ConversationRoundTrip) {
    const ConversationRecord created = unwrap(store_->create_conversation(alice_, "标题", "你是助手"));
    EXPECT_EQ(created.id.rfind("conv_", 0), 0u);
    EXPECT_EQ(created.id.size(), 21u);
    const auto found = unwrap(store_->get_conversation(alice_, created.id));
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->owner_token_id, alice_);
    EXPECT_EQ(found->title, "标题");
    EXPECT_EQ(found->system_prompt, "你是助手");
    EXPECT_EQ(found->created_at_ms, created.created_at_ms);
    EXPECT_EQ(found->updated_at_ms, created.updated_at_ms);
}

TEST_P(StoreTest, ConversationNeedsAnExistingOwnerToken) {
    EXPECT_FALSE(store_->create_conversation("tok_nobody", "t", "").ok());
}

TEST_P(StoreTest, AnotherOwnersConversationIsIndistinguishableFromAMissingOne) {
    const ConversationRecord mine = new_conversation(alice_);
    append(alice_, mine.id, "alice's secret");

    for (const std::string& id : {mine.id, std::string("conv_0000000000000000")}) {
        EXPECT_EQ(unwrap(store_->get_conversation(bob_, id)), std::nullopt);
        EXPECT_EQ(unwrap(store_->list_messages(bob_, id)), std::nullopt);
        EXPECT_EQ(unwrap(store_->append_message(bob_, id, MessageRole::User, "intrusion", {})),
                  std::nullopt);
        EXPECT_EQ(unwrap(store_->append_exchange(bob_, id, "q", "a", {}, MessageFinish::Stop)), std::nullopt);
        EXPECT_FALSE(unwrap(store_->delete_conversation(bob_, id)));
    }
    EXPECT_TRUE(unwrap(store_->list_conversations(bob_, 10, std::nullopt)).items.empty());

    // Alice's conversation is untouched by all of it.
    const std::vector<MessageRecord> kept = messages(alice_, mine.id);
    ASSERT_EQ(kept.size(), 1u);
    EXPECT_EQ(kept[0].content, "alice's secret");
    EXPECT_EQ(unwrap(store_->list_conversations(alice_, 10, std::nullopt)).items.size(), 1u);
}

TEST_P(StoreTest, DeleteRemovesTheConversationAndItsMessages) {
    const ConversationRecord doomed = new_conversation(alice_);
    const ConversationRecord other = new_conversation(alice_);
    append(alice_, doomed.id, "one");
    append(alice_, doomed.id, "two");
    append(alice_, other.id, "stays");

    EXPECT_TRUE(unwrap(store_->delete_conversation(alice_, doomed.id)));
    EXPECT_FALSE(unwrap(store_->delete_conversation(alice_, doomed.id)));
    EXPECT_EQ(unwrap(store_->get_conversation(alice_, doomed.id)), std::nullopt);
    EXPECT_EQ(unwrap(store_->list_messages(alice_, doomed.id)), std::nullopt);
    EXPECT_EQ(messages(alice_, other.id).size(), 1u);

    store_.reset();
    EXPECT_EQ(stored_message_count(), 1);  // only "stays" is left
}

// --- paging ------------------------------------------------------------------------

bool newer_first(const ConversationRecord& a, const ConversationRecord& b) {
    return std::tie(a.updated_at_ms, a.id) > std::tie(b.updated_at_ms, b.id);
}

TEST_P(StoreTest, PagesCoverEveryConversationOnceNewestFirst) {
    std::set<std::string> created;
    for (int i = 0; i < 23; ++i) {
        created.insert(new_conversation(alice_, std::to_string(i)).id);
        if (i % 5 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));  // mix ties and gaps
    }
    for (int i = 0; i < 4; ++i) new_conversation(bob_);

    std::vector<ConversationRecord> seen;
    std::optional<PageCursor> cursor;
    int pages = 0;
    do {
        const ConversationPage page = unwrap(store_->list_conversations(alice_, 5, cursor));
        EXPECT_LE(page.items.size(), 5u);
        seen.insert(seen.end(), page.items.begin(), page.items.end());
        // The cursor survives the trip through a client as text.
        cursor = page.next ? parse_page_cursor(format_page_cursor(*page.next)) : std::nullopt;
        ASSERT_EQ(cursor.has_value(), page.next.has_value());
        ASSERT_LT(++pages, 10);
    } while (cursor);

    EXPECT_EQ(pages, 5);  // 5 + 5 + 5 + 5 + 3
    ASSERT_EQ(seen.size(), 23u);
    std::set<std::string> seen_ids;
    for (const ConversationRecord& c : seen) {
        seen_ids.insert(c.id);
        EXPECT_EQ(c.owner_token_id, alice_);
    }
    EXPECT_EQ(seen_ids, created);  // each exactly once (sizes match, sets match)
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end(), newer_first));
}

TEST_P(StoreTest, AnExactMultipleOfThePageSizeEndsWithoutAnEmptyPage) {
    for (int i = 0; i < 4; ++i) new_conversation(alice_);
    const ConversationPage first = unwrap(store_->list_conversations(alice_, 2, std::nullopt));
    ASSERT_TRUE(first.next.has_value());
    const ConversationPage second = unwrap(store_->list_conversations(alice_, 2, first.next));
    EXPECT_EQ(second.items.size(), 2u);
    EXPECT_FALSE(second.next.has_value());
}

TEST_P(StoreTest, NewMessageMovesAConversationToTheFront) {
    const ConversationRecord oldest = new_conversation(alice_, "oldest");
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    new_conversation(alice_, "newer");
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    ASSERT_EQ(unwrap(store_->list_conversations(alice_, 1, std::nullopt)).items[0].title, "newer");

    const MessageRecord message = append(alice_, oldest.id, "bump");
    const ConversationPage page = unwrap(store_->list_conversations(alice_, 10, std::nullopt));
    ASSERT_EQ(page.items.size(), 2u);
    EXPECT_EQ(page.items[0].id, oldest.id);
    EXPECT_EQ(page.items[0].updated_at_ms, message.created_at_ms);
}

TEST_P(StoreTest, LimitIsClampedToOneThroughTheMaximum) {
    for (int i = 0; i < 3; ++i) new_conversation(alice_);
    EXPECT_EQ(unwrap(store_->list_conversations(alice_, 0, std::nullopt)).items.size(), 1u);
    EXPECT_EQ(unwrap(store_->list_conversations(alice_, -7, std::nullopt)).items.size(), 1u);
    EXPECT_EQ(unwrap(store_->list_conversations(alice_, 1'000'000, std::nullopt)).items.size(), 3u);
}

TEST(PageCursor, RoundTripsAndRefusesForeignText) {
    const PageCursor cursor{1712345678901, "conv_0123456789abcdef"};
    const std::optional<PageCursor> parsed = parse_page_cursor(format_page_cursor(cursor));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->updated_at_ms, cursor.updated_at_ms);
    EXPECT_EQ(parsed->conversation_id, cursor.conversation_id);
    for (const char* bad : {"", "-", "12", "12-", "-conv_1", "x1-conv_1", "1x-conv_1",
                            "12-conv'1", "12-conv 1", "99999999999999999999-conv_1", "+1-conv"}) {
        EXPECT_EQ(parse_page_cursor(bad), std::nullopt) << bad;
    }
}

// --- messages -------------------------------------------------------------------------

TEST_P(StoreTest, MessagesKeepOrderRolesAndUsage) {
    const ConversationRecord conversation = new_conversation(alice_);
    const MessageRecord system = append(alice_, conversation.id, "rules", MessageRole::System);
    const MessageRecord user = append(alice_, conversation.id, "hi");
    const std::optional<MessageRecord> answer = unwrap(store_->append_message(
        alice_, conversation.id, MessageRole::Assistant, "hello", TokenUsage{12, 3, 8}));
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->id.rfind("msg_", 0), 0u);

    const std::vector<MessageRecord> listed = messages(alice_, conversation.id);
    ASSERT_EQ(listed.size(), 3u);
    EXPECT_EQ(listed[0].id, system.id);
    EXPECT_EQ(listed[1].id, user.id);
    EXPECT_EQ(listed[2].id, answer->id);
    for (std::size_t i = 0; i < listed.size(); ++i) {
        EXPECT_EQ(listed[i].seq, static_cast<std::int64_t>(i + 1));
        EXPECT_EQ(listed[i].conversation_id, conversation.id);
    }
    EXPECT_EQ(listed[0].role, MessageRole::System);
    EXPECT_EQ(listed[1].role, MessageRole::User);
    EXPECT_EQ(listed[2].role, MessageRole::Assistant);
    EXPECT_EQ(listed[2].usage.prompt_tokens, 12);
    EXPECT_EQ(listed[2].usage.completion_tokens, 3);
    EXPECT_EQ(listed[2].usage.cached_tokens, 8);
    EXPECT_EQ(listed[2].content, "hello");
}

TEST_P(StoreTest, AppendExchangeStoresBothTurnsTogether) {
    const ConversationRecord conversation = new_conversation(alice_);
    append(alice_, conversation.id, "earlier");
    const std::optional<Exchange> exchange = unwrap(store_->append_exchange(
        alice_, conversation.id, "question?", "answer.", TokenUsage{20, 5, 4}, MessageFinish::Stop));
    ASSERT_TRUE(exchange.has_value());
    EXPECT_EQ(exchange->user.seq, 2);
    EXPECT_EQ(exchange->assistant.seq, 3);

    const std::vector<MessageRecord> listed = messages(alice_, conversation.id);
    ASSERT_EQ(listed.size(), 3u);
    EXPECT_EQ(listed[1].role, MessageRole::User);
    EXPECT_EQ(listed[1].content, "question?");
    EXPECT_EQ(listed[1].usage.prompt_tokens, 0);
    EXPECT_EQ(listed[2].role, MessageRole::Assistant);
    EXPECT_EQ(listed[2].content, "answer.");
    EXPECT_EQ(listed[2].usage.completion_tokens, 5);
}

TEST_P(StoreTest, ContentRoundTripsByteForByte) {
    const ConversationRecord conversation = new_conversation(alice_);
    std::string every_byte;  // 0x01..0xFF: ASCII controls, UTF-8 and invalid UTF-8 alike
    for (int b = 1; b < 256; ++b) every_byte += static_cast<char>(b);
    std::string one_mib;
    const std::string pattern = "长文本 🧪 long text\n";
    while (one_mib.size() < 1024 * 1024) one_mib += pattern;
    one_mib.resize(1024 * 1024);  // may cut a character in half: bytes, not characters

    const std::vector<std::string> contents = {
        "你好，世界！今天天气怎么样？",
        "emoji: 😀👍🏽👨‍👩‍👧‍👦🏳️‍🌈 and a flag 🇨🇳",
        "combining: e\u0301 a\u030a, RTL: \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
        "zero width:\u200b\u200d\ufeff| 4-byte: \U0001d11e \U00020000",
        "  leading and trailing whitespace\t\r\n  ",
        "quotes ' \" ; -- DROP TABLE messages; /* */",
        "",
        every_byte,
        std::string("embedded\0nul", 12),
        one_mib,
    };
    for (const std::string& content : contents) append(alice_, conversation.id, content);

    reopen();  // read back from the database, not from anything in memory
    const std::vector<MessageRecord> listed = messages(alice_, conversation.id);
    ASSERT_EQ(listed.size(), contents.size());
    for (std::size_t i = 0; i < contents.size(); ++i) {
        EXPECT_EQ(listed[i].content.size(), contents[i].size()) << i;
        EXPECT_TRUE(listed[i].content == contents[i]) << "content " << i << " changed";
    }
}

// --- finish reasons ----------------------------------------------------------------------

TEST_P(StoreTest, EveryFinishReasonRoundTripsAndOtherMessagesReadStop) {
    const ConversationRecord conversation = new_conversation(alice_);
    const std::vector<MessageFinish> finishes = {MessageFinish::Stop, MessageFinish::Length, MessageFinish::ContentFilter,
                                                 MessageFinish::Cancelled, MessageFinish::Error};
    for (MessageFinish finish : finishes) {
        const std::optional<Exchange> exchange = unwrap(store_->append_exchange(
            alice_, conversation.id, "q " + std::string(finish_name(finish)), "partial", TokenUsage{1, 2, 0}, finish));
        ASSERT_TRUE(exchange.has_value());
        EXPECT_EQ(exchange->assistant.finish, finish);
        EXPECT_EQ(exchange->user.finish, MessageFinish::Stop);
    }
    append(alice_, conversation.id, "a plain answer", MessageRole::Assistant);

    reopen();  // read back from storage
    const std::vector<MessageRecord> listed = messages(alice_, conversation.id);
    ASSERT_EQ(listed.size(), 2 * finishes.size() + 1);
    for (std::size_t i = 0; i < finishes.size(); ++i) {
        EXPECT_EQ(listed[2 * i].role, MessageRole::User);
        EXPECT_EQ(listed[2 * i].finish, MessageFinish::Stop) << i;
        EXPECT_EQ(listed[2 * i + 1].role, MessageRole::Assistant);
        EXPECT_EQ(listed[2 * i + 1].finish, finishes[i]) << finish_name(finishes[i]);
        EXPECT_EQ(listed[2 * i + 1].content, "partial");
    }
    EXPECT_EQ(listed.back().finish, MessageFinish::Stop);
    EXPECT_EQ(listed.back().content, "a plain answer");
}

TEST_P(StoreTest, AnEmptyCancelledAnswerIsKept) {
    const ConversationRecord conversation = new_conversation(alice_);
    ASSERT_TRUE(unwrap(store_->append_exchange(alice_, conversation.id, "never answered", "", TokenUsage{},
                                               MessageFinish::Cancelled))
                    .has_value());
    const std::vector<MessageRecord> listed = messages(alice_, conversation.id);
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].content, "never answered");
    EXPECT_EQ(listed[1].content, "");
    EXPECT_EQ(listed[1].finish, MessageFinish::Cancelled);
}

TEST(MessageFinish, NamesRoundTrip) {
    for (MessageFinish finish : {MessageFinish::Stop, MessageFinish::Length, MessageFinish::ContentFilter,
                                 MessageFinish::Cancelled, MessageFinish::Error}) {
        EXPECT_EQ(parse_finish(finish_name(finish)), finish);
    }
    EXPECT_EQ(finish_name(MessageFinish::Cancelled), "cancelled");
    EXPECT_EQ(parse_finish("Stop"), std::nullopt);
    EXPECT_EQ(parse_finish(""), std::nullopt);
}

// A database as the release before finish reasons wrote it: schema version
// 1 (this DDL is that release's), with answers already in it.
TEST(SqliteSchemaMigration, AVersion1DatabaseIsUpgradedAndItsAnswersReadStop) {
    const std::string dir = test::make_temp_dir() + "/data";
    std::filesystem::create_directories(dir);
    const std::string path = SqliteStore::database_path(dir);
    std::ofstream(path).close();  // an empty file is an empty database
    {
        RawDatabase old(path);
        old.execute(R"sql(
CREATE TABLE tokens (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, digest BLOB NOT NULL UNIQUE,
    admin INTEGER NOT NULL CHECK (admin IN (0, 1)), created_at_ms INTEGER NOT NULL, revoked_at_ms INTEGER
) STRICT;
CREATE TABLE conversations (
    id TEXT PRIMARY KEY, owner_token_id TEXT NOT NULL REFERENCES tokens (id), title TEXT NOT NULL,
    system_prompt TEXT NOT NULL, created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX conversations_by_owner_recency ON conversations (owner_token_id, updated_at_ms DESC, id DESC);
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content TEXT NOT NULL, prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0,
    cached_tokens INTEGER NOT NULL DEFAULT 0, created_at_ms INTEGER NOT NULL, UNIQUE (conversation_id, seq)
) STRICT;
PRAGMA user_version = 1;
INSERT INTO tokens VALUES ('tok_old', 'old', zeroblob(32), 0, 1000, NULL);
INSERT INTO conversations VALUES ('conv_00000000000000aa', 'tok_old', 'from before', '', 1000, 2000);
INSERT INTO messages VALUES ('msg_0000000000000001', 'conv_00000000000000aa', 1, 'user', 'old question', 0, 0, 0, 2000);
INSERT INTO messages VALUES ('msg_0000000000000002', 'conv_00000000000000aa', 2, 'assistant', 'old answer', 5, 2, 0, 2000);
)sql");
    }

    auto opened = SqliteStore::open(dir);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    SqliteStore& store = **opened;
    EXPECT_EQ(RawDatabase(path).integer("PRAGMA user_version"), 2);
    EXPECT_EQ(latest_schema_version(), 2);
    const auto listed = unwrap(store.list_messages("tok_old", "conv_00000000000000aa"));
    ASSERT_TRUE(listed.has_value());
    ASSERT_EQ(listed->size(), 2u);
    EXPECT_EQ((*listed)[1].content, "old answer");
    EXPECT_EQ((*listed)[1].finish, MessageFinish::Stop);
    EXPECT_EQ((*listed)[1].usage.completion_tokens, 2);

    // The upgraded database takes the new column.
    ASSERT_TRUE(unwrap(store.append_exchange("tok_old", "conv_00000000000000aa", "new question", "cut", TokenUsage{},
                                             MessageFinish::Cancelled))
                    .has_value());
    const auto after = unwrap(store.list_messages("tok_old", "conv_00000000000000aa"));
    ASSERT_EQ(after->size(), 4u);
    EXPECT_EQ((*after)[3].finish, MessageFinish::Cancelled);
    EXPECT_EQ((*after)[1].finish, MessageFinish::Stop);
    EXPECT_EQ(RawDatabase(path).text("SELECT finish_reason FROM messages WHERE seq = 4"), "cancelled");
    std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
}

// --- rename ---------------------------------------------------------------------------

TEST_P(StoreTest, RenameChangesTheTitleForTheOwnerOnlyAndKeepsTheOrder) {
    const ConversationRecord older = new_conversation(alice_, "older");
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    const ConversationRecord newer = new_conversation(alice_, "newer");
    std::this_thread::sleep_for(std::chrono::milliseconds(3));

    const std::optional<ConversationRecord> renamed =
        unwrap(store_->rename_conversation(alice_, older.id, "Trip to Paris ✈"));
    ASSERT_TRUE(renamed.has_value());
    EXPECT_EQ(renamed->id, older.id);
    EXPECT_EQ(renamed->title, "Trip to Paris ✈");
    EXPECT_EQ(renamed->system_prompt, "be brief");
    EXPECT_EQ(renamed->created_at_ms, older.created_at_ms);
    EXPECT_EQ(renamed->updated_at_ms, older.updated_at_ms);  // not moved

    const ConversationPage page = unwrap(store_->list_conversations(alice_, 10, std::nullopt));
    ASSERT_EQ(page.items.size(), 2u);
    EXPECT_EQ(page.items[0].id, newer.id);  // the order is unchanged
    EXPECT_EQ(page.items[1].title, "Trip to Paris ✈");

    // Another owner, or no such id: not found, and nothing changes.
    EXPECT_EQ(unwrap(store_->rename_conversation(bob_, older.id, "hijacked")), std::nullopt);
    EXPECT_EQ(unwrap(store_->rename_conversation(alice_, "conv_0000000000000000", "ghost")), std::nullopt);
    reopen();
    EXPECT_EQ(unwrap(store_->get_conversation(alice_, older.id))->title, "Trip to Paris ✈");
    EXPECT_EQ(unwrap(store_->get_conversation(alice_, older.id))->updated_at_ms, older.updated_at_ms);
}

TEST_P(StoreTest, RenameRefusesATitleThatIsNotClean) {
    const ConversationRecord conversation = new_conversation(alice_, "kept");
    const std::string longest = [] {
        std::string text;
        for (int i = 0; i < 200; ++i) text += "é";  // 200 characters, 400 bytes
        return text;
    }();
    for (const std::string& bad : {std::string(), std::string("  padded "), std::string("two\nlines"),
                                   std::string("tab\tinside"), longest + "x", std::string("\xff\xfe")}) {
        EXPECT_FALSE(store_->rename_conversation(alice_, conversation.id, bad).ok()) << bad;
    }
    EXPECT_EQ(unwrap(store_->get_conversation(alice_, conversation.id))->title, "kept");
    EXPECT_EQ(unwrap(store_->rename_conversation(alice_, conversation.id, longest))->title, longest);
}

TEST(ConversationTitle, IsTrimmedAndBoundedWithoutControlCharacters) {
    EXPECT_EQ(clean_conversation_title("  Paris \t\n"), "Paris");
    EXPECT_EQ(clean_conversation_title("a"), "a");
    EXPECT_EQ(clean_conversation_title("标题 😀"), "标题 😀");
    EXPECT_EQ(clean_conversation_title(std::string(200, 'x')), std::string(200, 'x'));
    EXPECT_EQ(clean_conversation_title(std::string(201, 'x')), std::nullopt);
    EXPECT_EQ(clean_conversation_title("   " + std::string(200, 'x') + "   "), std::string(200, 'x'));
    std::string emoji;
    for (int i = 0; i < 200; ++i) emoji += "😀";  // characters, not bytes, are counted
    EXPECT_EQ(clean_conversation_title(emoji), emoji);
    EXPECT_EQ(clean_conversation_title(emoji + "😀"), std::nullopt);
    for (const std::string& bad : {std::string(), std::string(" \t\r\n "), std::string("a\nb"), std::string("a\x7f"),
                                   std::string("a\xc2\x85"), std::string("nul\0x", 5), std::string("\xc0\xaf"),
                                   std::string("\xed\xa0\x80"), std::string("\xe4\xbd")}) {
        EXPECT_EQ(clean_conversation_title(bad), std::nullopt) << bad;
    }
}

// --- system prompt (update) -----------------------------------------------------------------

TEST_P(StoreTest, UpdateSetsTheSystemPromptAloneOrWithTheTitleForTheOwnerOnly) {
    const ConversationRecord older = new_conversation(alice_, "older");  // system "be brief"
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    const ConversationRecord newer = new_conversation(alice_, "newer");

    const std::optional<ConversationRecord> prompted =
        unwrap(store_->update_conversation(alice_, older.id, std::nullopt, "Answer in French.\n\tAlways."));
    ASSERT_TRUE(prompted.has_value());
    EXPECT_EQ(prompted->system_prompt, "Answer in French.\n\tAlways.");
    EXPECT_EQ(prompted->title, "older");  // not given: kept
    EXPECT_EQ(prompted->created_at_ms, older.created_at_ms);
    EXPECT_EQ(prompted->updated_at_ms, older.updated_at_ms);  // not moved

    const std::optional<ConversationRecord> both =
        unwrap(store_->update_conversation(alice_, older.id, "Français", "Réponds en français. 🇫🇷"));
    ASSERT_TRUE(both.has_value());
    EXPECT_EQ(both->title, "Français");
    EXPECT_EQ(both->system_prompt, "Réponds en français. 🇫🇷");

    // Neither: the conversation as it is.
    EXPECT_EQ(unwrap(store_->update_conversation(alice_, older.id, std::nullopt, std::nullopt))->system_prompt,
              "Réponds en français. 🇫🇷");
    // A rename keeps the system prompt.
    EXPECT_EQ(unwrap(store_->rename_conversation(alice_, older.id, "renamed"))->system_prompt, "Réponds en français. 🇫🇷");

    // Another owner, or no such id: not found, and nothing changes.
    EXPECT_EQ(unwrap(store_->update_conversation(bob_, older.id, std::nullopt, "hijacked")), std::nullopt);
    EXPECT_EQ(unwrap(store_->update_conversation(alice_, "conv_0000000000000000", std::nullopt, "ghost")), std::nullopt);

    reopen();  // read back from storage
    const ConversationRecord stored = *unwrap(store_->get_conversation(alice_, older.id));
    EXPECT_EQ(stored.title, "renamed");
    EXPECT_EQ(stored.system_prompt, "Réponds en français. 🇫🇷");
    EXPECT_EQ(stored.updated_at_ms, older.updated_at_ms);
    const ConversationPage page = unwrap(store_->list_conversations(alice_, 10, std::nullopt));
    ASSERT_EQ(page.items.size(), 2u);
    EXPECT_EQ(page.items[0].id, newer.id);  // the order is unchanged
    EXPECT_EQ(page.items[1].system_prompt, "Réponds en français. 🇫🇷");
    EXPECT_EQ(page.items[0].system_prompt, "be brief");  // the other one is untouched

    // An empty prompt clears it, and stays empty (not "not given").
    EXPECT_EQ(unwrap(store_->update_conversation(alice_, older.id, std::nullopt, ""))->system_prompt, "");
    EXPECT_EQ(unwrap(store_->update_conversation(alice_, newer.id, std::nullopt, std::string_view{}))->system_prompt, "");
    reopen();
    EXPECT_EQ(unwrap(store_->get_conversation(alice_, older.id))->system_prompt, "");
    EXPECT_EQ(unwrap(store_->get_conversation(alice_, newer.id))->system_prompt, "");
    EXPECT_EQ(unwrap(store_->get_conversation(alice_, older.id))->title, "renamed");
}

TEST_P(StoreTest, UpdateRefusesAnInvalidSystemPromptOrTitleAndChangesNothing) {
    const ConversationRecord conversation = new_conversation(alice_, "kept");
    std::string largest;
    while (largest.size() + 3 <= kMaxSystemPromptBytes) largest += "字";  // 3 bytes each: bytes are counted
    largest.append(kMaxSystemPromptBytes - largest.size(), 'x');
    ASSERT_EQ(largest.size(), kMaxSystemPromptBytes);

    for (const std::string& bad : {largest + "x", std::string("\xff"), std::string("cut \xe5\xad"),
                                   std::string("surrogate \xed\xa0\x80")}) {
        EXPECT_FALSE(store_->update_conversation(alice_, conversation.id, std::nullopt, bad).ok()) << bad.size();
    }
    // A bad part refuses the whole update: the good part is not applied.
    EXPECT_FALSE(store_->update_conversation(alice_, conversation.id, "fine title", std::string("\xff")).ok());
    EXPECT_FALSE(store_->update_conversation(alice_, conversation.id, " padded ", "fine prompt").ok());
    const ConversationRecord unchanged = *unwrap(store_->get_conversation(alice_, conversation.id));
    EXPECT_EQ(unchanged.title, "kept");
    EXPECT_EQ(unchanged.system_prompt, "be brief");

    EXPECT_EQ(unwrap(store_->update_conversation(alice_, conversation.id, std::nullopt, largest))->system_prompt, largest);
    reopen();
    EXPECT_TRUE(unwrap(store_->get_conversation(alice_, conversation.id))->system_prompt == largest);
}

TEST(SystemPrompt, IsValidUtf8OfAtMost32KiB) {
    EXPECT_TRUE(valid_system_prompt(""));
    EXPECT_TRUE(valid_system_prompt("Be brief.\nUse lists.\t✅"));
    EXPECT_TRUE(valid_system_prompt(std::string(kMaxSystemPromptBytes, 'x')));
    EXPECT_FALSE(valid_system_prompt(std::string(kMaxSystemPromptBytes + 1, 'x')));
    for (const std::string& bad : {std::string("\xc0\xaf"), std::string("\xed\xa0\x80"), std::string("\xe4\xbd"),
                                   std::string("\xf4\x90\x80\x80"), std::string("\x80")}) {
        EXPECT_FALSE(valid_system_prompt(bad)) << bad;
    }
}

// --- deleting from a message (regenerate, edit and resend) ------------------------------------

TEST_P(StoreTest, DeletingFromAMessageRemovesItAndEveryLaterOne) {
    // Six messages, q1 a1 q2 a2 q3 a3; cut at the first, a middle and the last one.
    struct Cut {
        std::size_t at;
        std::int64_t deleted;
    };
    for (const Cut cut : {Cut{2, 4}, Cut{5, 1}, Cut{0, 6}}) {
        const ConversationRecord conversation = new_conversation(alice_);
        for (int i = 1; i <= 3; ++i) {
            ASSERT_TRUE(unwrap(store_->append_exchange(alice_, conversation.id, "q" + std::to_string(i),
                                                       "a" + std::to_string(i), TokenUsage{1, 2, 0}, MessageFinish::Stop))
                            .has_value());
        }
        const std::vector<MessageRecord> before = messages(alice_, conversation.id);
        ASSERT_EQ(before.size(), 6u);

        EXPECT_EQ(unwrap(store_->delete_messages_from(alice_, conversation.id, before[cut.at].id)), cut.deleted)
            << "cut at " << cut.at;
        // Twice: the message is gone now.
        EXPECT_EQ(unwrap(store_->delete_messages_from(alice_, conversation.id, before[cut.at].id)), std::nullopt);

        reopen();  // read back from storage
        const std::vector<MessageRecord> after = messages(alice_, conversation.id);  // an empty one is still found
        ASSERT_EQ(after.size(), cut.at) << "cut at " << cut.at;
        for (std::size_t i = 0; i < after.size(); ++i) {
            EXPECT_EQ(after[i].id, before[i].id);
            EXPECT_EQ(after[i].seq, before[i].seq);
            EXPECT_EQ(after[i].content, before[i].content);
            EXPECT_EQ(after[i].usage.completion_tokens, before[i].usage.completion_tokens);
        }
        EXPECT_TRUE(unwrap(store_->get_conversation(alice_, conversation.id)).has_value());
    }
    store_.reset();
    EXPECT_EQ(stored_message_count(), 2 + 5 + 0);  // nothing deleted is left behind
}

TEST_P(StoreTest, DeletingFromAMessageMovesTheConversationToTheFront) {
    const ConversationRecord older = new_conversation(alice_, "older");
    const MessageRecord first = append(alice_, older.id, "first");
    append(alice_, older.id, "second");
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    const ConversationRecord newer = new_conversation(alice_, "newer");
    const std::int64_t before = unwrap(store_->get_conversation(alice_, older.id))->updated_at_ms;
    ASSERT_EQ(unwrap(store_->list_conversations(alice_, 10, std::nullopt)).items[0].id, newer.id);
    std::this_thread::sleep_for(std::chrono::milliseconds(3));

    ASSERT_EQ(unwrap(store_->delete_messages_from(alice_, older.id, first.id)), 2);
    const std::int64_t after = unwrap(store_->get_conversation(alice_, older.id))->updated_at_ms;
    EXPECT_GT(after, before);
    const ConversationPage page = unwrap(store_->list_conversations(alice_, 10, std::nullopt));
    ASSERT_EQ(page.items.size(), 2u);
    EXPECT_EQ(page.items[0].id, older.id);
    EXPECT_EQ(page.items[0].updated_at_ms, after);
    EXPECT_EQ(page.items[1].id, newer.id);
    // The paging index moved with it: a page after the first finds the other exactly once.
    const ConversationPage second =
        unwrap(store_->list_conversations(alice_, 1, PageCursor{page.items[0].updated_at_ms, page.items[0].id}));
    ASSERT_EQ(second.items.size(), 1u);
    EXPECT_EQ(second.items[0].id, newer.id);
}

TEST_P(StoreTest, DeletingFromAMessageThatIsNotFoundChangesNothing) {
    const ConversationRecord mine = new_conversation(alice_);
    const ConversationRecord also_mine = new_conversation(alice_);
    const MessageRecord first = append(alice_, mine.id, "first");
    append(alice_, mine.id, "second");
    const MessageRecord elsewhere = append(alice_, also_mine.id, "in another conversation");
    const std::int64_t updated = unwrap(store_->get_conversation(alice_, mine.id))->updated_at_ms;
    std::this_thread::sleep_for(std::chrono::milliseconds(3));

    // Another owner (her ids, his token): exactly a missing conversation.
    EXPECT_EQ(unwrap(store_->delete_messages_from(bob_, mine.id, first.id)), std::nullopt);
    EXPECT_EQ(unwrap(store_->delete_messages_from(alice_, "conv_0000000000000000", first.id)), std::nullopt);
    // A message of another conversation, an unknown id, and texts that only
    // resemble one (a prefix, an id followed by the next header line, the
    // whole stored header).
    for (const std::string& bad : {elsewhere.id, std::string("msg_0000000000000000"), std::string(),
                                   first.id.substr(0, 10), first.id + "\nuser", first.id + "\n", std::string("\n"),
                                   std::string("msg_%"), std::string("*")}) {
        EXPECT_EQ(unwrap(store_->delete_messages_from(alice_, mine.id, bad)), std::nullopt) << bad;
    }
    EXPECT_EQ(messages(alice_, mine.id).size(), 2u);
    EXPECT_EQ(messages(alice_, also_mine.id).size(), 1u);
    EXPECT_EQ(unwrap(store_->get_conversation(alice_, mine.id))->updated_at_ms, updated);
}

TEST_P(StoreTest, AppendsAfterDeletingTakeTheFreedSeqsWithoutCollisions) {
    const ConversationRecord conversation = new_conversation(alice_);
    append(alice_, conversation.id, "q1");
    append(alice_, conversation.id, "a1", MessageRole::Assistant);
    const MessageRecord q2 = append(alice_, conversation.id, "q2");
    append(alice_, conversation.id, "a2", MessageRole::Assistant);
    ASSERT_EQ(unwrap(store_->delete_messages_from(alice_, conversation.id, q2.id)), 2);

    // Edit and resend: the new turn continues right after what is left.
    const std::optional<Exchange> again = unwrap(
        store_->append_exchange(alice_, conversation.id, "q2 edited", "a2 again", TokenUsage{}, MessageFinish::Stop));
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->user.seq, 3);
    EXPECT_EQ(again->assistant.seq, 4);
    EXPECT_NE(again->user.id, q2.id);  // ids are never given out again
    const MessageRecord extra = append(alice_, conversation.id, "q3");
    EXPECT_EQ(extra.seq, 5);

    reopen();
    std::vector<MessageRecord> listed = messages(alice_, conversation.id);
    ASSERT_EQ(listed.size(), 5u);
    const std::vector<std::string> contents = {"q1", "a1", "q2 edited", "a2 again", "q3"};
    for (std::size_t i = 0; i < listed.size(); ++i) {
        EXPECT_EQ(listed[i].seq, static_cast<std::int64_t>(i + 1));
        EXPECT_EQ(listed[i].content, contents[i]);
    }
    EXPECT_EQ(listed[2].id, again->user.id);

    // Everything deleted: the next message is seq 1 again.
    ASSERT_EQ(unwrap(store_->delete_messages_from(alice_, conversation.id, listed[0].id)), 5);
    EXPECT_TRUE(messages(alice_, conversation.id).empty());
    EXPECT_EQ(append(alice_, conversation.id, "fresh start").seq, 1);
    listed = messages(alice_, conversation.id);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].content, "fresh start");
}

TEST_P(StoreTest, DeletedAnswersTakeTheirFinishReasonsWithThem) {
    const ConversationRecord conversation = new_conversation(alice_);
    ASSERT_TRUE(unwrap(store_->append_exchange(alice_, conversation.id, "q1", "stopped", {}, MessageFinish::Cancelled))
                    .has_value());  // seqs 1, 2
    const std::optional<Exchange> cut = unwrap(
        store_->append_exchange(alice_, conversation.id, "q2", "too long", {}, MessageFinish::Length));  // 3, 4
    ASSERT_TRUE(cut.has_value());
    ASSERT_TRUE(unwrap(store_->append_exchange(alice_, conversation.id, "q3", "failed", {}, MessageFinish::Error))
                    .has_value());  // 5, 6
    ASSERT_EQ(unwrap(store_->delete_messages_from(alice_, conversation.id, cut->user.id)), 4);

    // The seqs 4 and 6 are given out again: their new answers end as they end.
    ASSERT_TRUE(unwrap(store_->append_exchange(alice_, conversation.id, "q2'", "fine", {}, MessageFinish::Stop))
                    .has_value());
    ASSERT_TRUE(unwrap(store_->append_exchange(alice_, conversation.id, "q3'", "plain", {}, MessageFinish::Stop))
                    .has_value());
    reopen();
    const std::vector<MessageRecord> listed = messages(alice_, conversation.id);
    ASSERT_EQ(listed.size(), 6u);
    EXPECT_EQ(listed[1].finish, MessageFinish::Cancelled);  // before the cut: kept
    EXPECT_EQ(listed[3].seq, 4);
    EXPECT_EQ(listed[3].content, "fine");
    EXPECT_EQ(listed[3].finish, MessageFinish::Stop) << "the deleted answer's 'length' came back";
    EXPECT_EQ(listed[5].seq, 6);
    EXPECT_EQ(listed[5].finish, MessageFinish::Stop) << "the deleted answer's 'error' came back";
}

TEST_P(StoreTest, DeletingWhileOthersAppendKeepsSeqsUniqueAndGapless) {
    const ConversationRecord conversation = new_conversation(alice_);
    std::unique_ptr<ConversationStore> second = open_another();  // another node or process too
    std::atomic<bool> done{false};
    std::atomic<int> failures{0};
    std::atomic<int> cuts{0};
    std::vector<std::thread> writers;
    for (ConversationStore* store : {store_.get(), second.get()}) {
        writers.emplace_back([&, store] {
            for (int i = 0; i < 40; ++i) {
                if (i % 4 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // give the cutter turns
                auto appended = store->append_exchange(alice_, conversation.id, "q", "a", {}, MessageFinish::Cancelled);
                if (!appended.ok() || !appended->has_value()) ++failures;
            }
        });
    }
    std::thread cutter([&] {
        while (!done) {
            auto listed = store_->list_messages(alice_, conversation.id);
            if (!listed.ok() || !*listed) {
                ++failures;
                return;
            }
            if ((*listed)->size() > 6) {
                // A user message (seq 5) that writers' appends may already
                // have followed: whatever comes after it goes too.
                auto deleted = second->delete_messages_from(alice_, conversation.id, (**listed)[4].id);
                if (!deleted.ok() || !deleted->has_value()) ++failures;
                ++cuts;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    });
    for (std::thread& writer : writers) writer.join();
    done = true;
    cutter.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_GT(cuts.load(), 0);

    const std::vector<MessageRecord> listed = messages(alice_, conversation.id);
    std::set<std::string> ids;
    for (std::size_t i = 0; i < listed.size(); ++i) {
        EXPECT_EQ(listed[i].seq, static_cast<std::int64_t>(i + 1));
        // An exchange is never split: user then assistant, each with its own finish.
        EXPECT_EQ(listed[i].role, i % 2 == 0 ? MessageRole::User : MessageRole::Assistant) << i;
        EXPECT_EQ(listed[i].finish, i % 2 == 0 ? MessageFinish::Stop : MessageFinish::Cancelled) << i;
        ids.insert(listed[i].id);
    }
    EXPECT_EQ(ids.size(), listed.size());
}

// --- search ---------------------------------------------------------------------------

std::vector<std::string> titles_of(const ConversationPage& page) {
    std::vector<std::string> titles;
    for (const ConversationRecord& c : page.items) titles.push_back(c.title);
    return titles;
}

TEST_P(StoreTest, SearchMatchesTitlesAndMessagesOfTheOwnerNewestFirst) {
    const ConversationRecord by_title = new_conversation(alice_, "Trip to PARIS");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const ConversationRecord by_question = new_conversation(alice_, "question");
    append(alice_, by_question.id, "What is the capital of France? Paris?");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const ConversationRecord by_answer = new_conversation(alice_, "answer");
    ASSERT_TRUE(unwrap(store_->append_exchange(alice_, by_answer.id, "capital?", "It is paris.", TokenUsage{},
                                               MessageFinish::Stop))
                    .has_value());
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const ConversationRecord unrelated = new_conversation(alice_, "Rome");
    append(alice_, unrelated.id, "the colosseum");
    const ConversationRecord bobs = new_conversation(bob_, "paris too");
    append(bob_, bobs.id, "paris");

    for (const char* query : {"paris", "PARIS", "pArIs", "Paris"}) {
        const ConversationPage page = unwrap(store_->search_conversations(alice_, query, 10, std::nullopt));
        EXPECT_EQ(titles_of(page), (std::vector<std::string>{"answer", "question", "Trip to PARIS"})) << query;
        EXPECT_FALSE(page.next.has_value());
    }
    EXPECT_EQ(titles_of(unwrap(store_->search_conversations(alice_, "capital of", 10, std::nullopt))),
              std::vector<std::string>{"question"});
    EXPECT_EQ(titles_of(unwrap(store_->search_conversations(bob_, "PARIS", 10, std::nullopt))),
              std::vector<std::string>{"paris too"});
    const ConversationPage none = unwrap(store_->search_conversations(alice_, "berlin", 10, std::nullopt));
    EXPECT_TRUE(none.items.empty());
    EXPECT_FALSE(none.next.has_value());
    // An empty text matches everything, as the plain list does.
    EXPECT_EQ(unwrap(store_->search_conversations(alice_, "", 10, std::nullopt)).items.size(), 4u);
}

TEST_P(StoreTest, SearchTakesEveryCharacterLiterally) {
    for (const char* title : {"100% done", "100 done", "a_b", "axb", "back\\slash", "it's \"quoted\"", "天气很好", "École"}) {
        new_conversation(alice_, title);
    }
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
        {"100%", {"100% done"}}, {"%", {"100% done"}},   {"a_b", {"a_b"}},      {"_", {"a_b"}},
        {"\\", {"back\\slash"}}, {"'s \"", {"it's \"quoted\""}}, {"天气", {"天气很好"}}, {"*", {}},
        // Only ASCII letters fold: other characters match exactly, in both stores.
        {"ÉCOLE", {"École"}},    {"école", {}},

    };
    for (const auto& [query, expected] : cases) {
        EXPECT_EQ(titles_of(unwrap(store_->search_conversations(alice_, query, 10, std::nullopt))), expected) << query;
    }
}

TEST_P(StoreTest, SearchLooksAtMessageContentOnly) {
    // Not the system prompt, the role, ids or numbers stored beside the content.
    const ConversationRecord conversation = new_conversation(alice_, "plain");
    ASSERT_TRUE(unwrap(store_->append_exchange(alice_, conversation.id, "hello", "world", TokenUsage{123456, 789, 0},
                                               MessageFinish::Cancelled))
                    .has_value());
    for (const char* query : {"brief", "assistant", "user", "msg_", "123456", "789", "cancelled", "conv_", "\n"}) {
        EXPECT_TRUE(unwrap(store_->search_conversations(alice_, query, 10, std::nullopt)).items.empty()) << query;
    }
    EXPECT_EQ(unwrap(store_->search_conversations(alice_, "WORLD", 10, std::nullopt)).items.size(), 1u);
}

TEST_P(StoreTest, SearchPagesCoverEveryMatchOnceNewestFirst) {
    // 50 conversations; the 6 that match are the oldest ones, so the newest
    // pages of candidates hold none.
    std::set<std::string> matching;
    for (int i = 0; i < 50; ++i) {
        const ConversationRecord c = new_conversation(alice_, "c" + std::to_string(i));
        const bool match = i % 5 == 0 && i < 30;
        append(alice_, c.id, match ? "a NEEDLE here" : "hay");
        if (match) matching.insert(c.id);
        if (i % 7 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    std::vector<ConversationRecord> seen;
    std::optional<PageCursor> cursor;
    int pages = 0;
    do {
        const ConversationPage page = unwrap(store_->search_conversations(alice_, "needle", 4, cursor));
        EXPECT_LE(page.items.size(), 4u);
        seen.insert(seen.end(), page.items.begin(), page.items.end());
        cursor = page.next ? parse_page_cursor(format_page_cursor(*page.next)) : std::nullopt;
        ASSERT_LT(++pages, 10);
    } while (cursor);
    EXPECT_EQ(pages, 2);  // 4 + 2
    ASSERT_EQ(seen.size(), 6u);
    std::set<std::string> seen_ids;
    for (const ConversationRecord& c : seen) seen_ids.insert(c.id);
    EXPECT_EQ(seen_ids, matching);
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end(), newer_first));

    // Exactly a page of matches: no next page.
    const ConversationPage exact = unwrap(store_->search_conversations(alice_, "needle", 6, std::nullopt));
    EXPECT_EQ(exact.items.size(), 6u);
    EXPECT_FALSE(exact.next.has_value());
}

TEST_P(StoreTest, SearchRefusesTextItCannotTake) {
    new_conversation(alice_, std::string(200, 'x'));
    EXPECT_EQ(unwrap(store_->search_conversations(alice_, std::string(200, 'x'), 10, std::nullopt)).items.size(), 1u);
    for (const std::string& bad : {std::string(201, 'x'), std::string("\xff"), std::string("a\0b", 3)}) {
        EXPECT_FALSE(store_->search_conversations(alice_, bad, 10, std::nullopt).ok());
    }
}

// --- durability and concurrency --------------------------------------------------------------

TEST_P(StoreTest, EverythingSurvivesClosingAndReopening) {
    const ConversationRecord conversation = new_conversation(alice_, "durable");
    const std::optional<Exchange> exchange =
        unwrap(store_->append_exchange(alice_, conversation.id, "q", "a", TokenUsage{1, 2, 3}, MessageFinish::Stop));
    ASSERT_TRUE(exchange.has_value());
    reopen();
    const std::vector<MessageRecord> listed = messages(alice_, conversation.id);
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].id, exchange->user.id);
    EXPECT_EQ(listed[1].id, exchange->assistant.id);
    EXPECT_EQ(listed[1].usage.cached_tokens, 3);
    EXPECT_EQ(unwrap(store_->list_tokens()).size(), 2u);
}

TEST_F(SqliteStoreTest, AcknowledgedMessageSurvivesSigkillOfTheWriter) {
    const ConversationRecord conversation = new_conversation(alice_);
    const std::string content = "持久化 durable ✅ " + std::string(5000, 'x') + " 🔒";
    store_.reset();  // no SQLite connection may cross fork()

    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(pipe_fds[0]);
        Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::open(dir_);
        std::string reply = "ERR";
        if (opened.ok()) {
            auto appended = (*opened)->append_message(alice_, conversation.id,
                                                      MessageRole::Assistant, content, TokenUsage{});
            if (appended.ok() && appended->has_value()) reply = (*appended)->id;
        }
        // Acknowledge, then wait to be killed: the store is never closed, so
        // no checkpoint or clean shutdown can help the data along.
        (void)!::write(pipe_fds[1], reply.data(), reply.size());
        for (;;) ::pause();
    }
    ::close(pipe_fds[1]);
    char buffer[64] = {};
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    ::close(pipe_fds[0]);
    ASSERT_GT(n, 0);
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    const std::string message_id(buffer, static_cast<std::size_t>(n));
    ASSERT_NE(message_id, "ERR");

    EXPECT_TRUE(std::filesystem::exists(db_path() + "-wal"));  // the child never checkpointed
    reopen();
    const std::vector<MessageRecord> listed = messages(alice_, conversation.id);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].id, message_id);
    EXPECT_TRUE(listed[0].content == content);
    EXPECT_EQ(listed[0].role, MessageRole::Assistant);
}

TEST_P(StoreTest, ConcurrentAppendsAreAllStoredWithUniqueSequenceNumbers) {
    const ConversationRecord shared = new_conversation(alice_);
    const ConversationRecord bobs = new_conversation(bob_);
    constexpr int kThreads = 8;
    constexpr int kPerThread = 25;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const std::string text = "thread " + std::to_string(t) + " message " + std::to_string(i);
                // Odd threads also create work on another conversation and read in between.
                const bool odd = t % 2 == 1;
                auto appended = store_->append_message(odd ? bob_ : alice_, odd ? bobs.id : shared.id,
                                                       MessageRole::User, text, TokenUsage{});
                if (!appended.ok() || !appended->has_value()) ++failures;
                if (!store_->list_conversations(alice_, 3, std::nullopt).ok()) ++failures;
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(failures.load(), 0);

    for (const auto& [owner, id] : {std::pair{alice_, shared.id}, std::pair{bob_, bobs.id}}) {
        const std::vector<MessageRecord> listed = messages(owner, id);
        ASSERT_EQ(listed.size(), static_cast<std::size_t>(kThreads / 2 * kPerThread));
        std::set<std::string> texts;
        for (std::size_t i = 0; i < listed.size(); ++i) {
            EXPECT_EQ(listed[i].seq, static_cast<std::int64_t>(i + 1));
            texts.insert(listed[i].content);
        }
        EXPECT_EQ(texts.size(), listed.size());
    }
}

TEST_P(StoreTest, TwoStoresOnOneDatabaseShareWrites) {
    // The server and a CLI command each open the same database; with Redis,
    // two nodes.
    std::unique_ptr<ConversationStore> second = open_another();
    const ConversationRecord conversation = new_conversation(alice_);
    std::vector<std::thread> writers;
    for (ConversationStore* store : {store_.get(), second.get()}) {
        writers.emplace_back([&, store] {
            for (int i = 0; i < 20; ++i) {
                (void)store->append_message(alice_, conversation.id, MessageRole::User, "x", {});
            }
        });
    }
    for (std::thread& writer : writers) writer.join();
    EXPECT_EQ(messages(alice_, conversation.id).size(), 40u);
    const std::vector<MessageRecord> seen_by_second = *unwrap(second->list_messages(alice_, conversation.id));
    EXPECT_EQ(seen_by_second.size(), 40u);
}

}  // namespace
}  // namespace clawbot::service
