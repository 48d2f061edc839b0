// Access tokens: generation, digests, constant-time comparison, the Bearer
// header, and verification against a real SQLite store (revocation applies
// to the very next call; only digests reach the disk).
#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "service/auth/access_token.h"
#include "service/auth/base64url.h"
#include "service/auth/bearer.h"
#include "service/auth/token_verifier.h"
#include "service/store/sqlite_store.h"
#include "support/test_support.h"

namespace clawbot::service {
namespace {

std::string to_hex(const TokenDigest& digest) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    for (std::uint8_t b : digest) {
        hex += kDigits[b >> 4];
        hex += kDigits[b & 15];
    }
    return hex;
}

std::span<const std::uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

TEST(AccessToken, HasThePrefixAnd256BitsOfBase64url) {
    Result<std::string> token = generate_access_token();
    ASSERT_TRUE(token.ok()) << token.error().message;
    ASSERT_EQ(token->rfind("cb_", 0), 0u) << *token;
    const std::string body = token->substr(3);
    EXPECT_EQ(body.size(), 43u);  // ceil(32 * 8 / 6): 256 random bits, >= 128 required
    EXPECT_TRUE(std::all_of(body.begin(), body.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    })) << *token;
    // It must also be a valid Bearer credential as is.
    EXPECT_EQ(parse_bearer("Bearer " + *token), std::optional<std::string_view>(*token));
}

TEST(AccessToken, TokensAreUniqueAndUseTheWholeAlphabet) {
    std::set<std::string> tokens;
    std::set<char> characters;
    for (int i = 0; i < 2000; ++i) {
        Result<std::string> token = generate_access_token();
        ASSERT_TRUE(token.ok());
        tokens.insert(*token);
        characters.insert(token->begin() + 3, token->end());
    }
    EXPECT_EQ(tokens.size(), 2000u);
    // 2000 x 43 random characters cover all 64 symbols unless the source is broken.
    EXPECT_EQ(characters.size(), 64u);
}

TEST(AccessToken, Base64urlMatchesRfc4648Vectors) {
    EXPECT_EQ(base64url_encode(bytes_of("")), "");
    EXPECT_EQ(base64url_encode(bytes_of("f")), "Zg");
    EXPECT_EQ(base64url_encode(bytes_of("fo")), "Zm8");
    EXPECT_EQ(base64url_encode(bytes_of("foo")), "Zm9v");
    EXPECT_EQ(base64url_encode(bytes_of("foob")), "Zm9vYg");
    EXPECT_EQ(base64url_encode(bytes_of("fooba")), "Zm9vYmE");
    EXPECT_EQ(base64url_encode(bytes_of("foobar")), "Zm9vYmFy");
    const std::uint8_t url_unsafe_in_base64[] = {0xfb, 0xff, 0xbf};  // "+/+/" in plain base64
    EXPECT_EQ(base64url_encode(url_unsafe_in_base64), "-_-_");
}

TEST(AccessToken, DigestIsSha256) {
    Result<TokenDigest> digest = digest_access_token("abc");
    ASSERT_TRUE(digest.ok());
    EXPECT_EQ(to_hex(*digest), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    Result<TokenDigest> empty = digest_access_token("");
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(to_hex(*empty), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(AccessToken, DigestComparisonSeesEveryByte) {
    const TokenDigest a = *digest_access_token("one");
    TokenDigest first_differs = a;
    first_differs.front() ^= 1;
    TokenDigest last_differs = a;
    last_differs.back() ^= 0x80;
    EXPECT_TRUE(digests_equal(a, a));
    EXPECT_FALSE(digests_equal(a, first_differs));
    EXPECT_FALSE(digests_equal(a, last_differs));
}

TEST(AccessToken, TokenIdsArePublicShortAndUnique) {
    std::set<std::string> ids;
    for (int i = 0; i < 500; ++i) {
        Result<std::string> id = generate_token_id();
        ASSERT_TRUE(id.ok());
        ASSERT_EQ(id->size(), 16u) << *id;
        ASSERT_EQ(id->rfind("tok_", 0), 0u);
        ids.insert(*id);
    }
    EXPECT_EQ(ids.size(), 500u);
}

// --- parse_bearer -----------------------------------------------------------------

TEST(Bearer, AcceptsTheSchemeInAnyCase) {
    EXPECT_EQ(parse_bearer("Bearer abc"), std::optional<std::string_view>("abc"));
    EXPECT_EQ(parse_bearer("bearer abc"), std::optional<std::string_view>("abc"));
    EXPECT_EQ(parse_bearer("BEARER abc"), std::optional<std::string_view>("abc"));
    EXPECT_EQ(parse_bearer("bEaReR abc"), std::optional<std::string_view>("abc"));
}

TEST(Bearer, AcceptsRfc6750TokenSyntax) {
    EXPECT_EQ(parse_bearer("Bearer   spaced"), std::optional<std::string_view>("spaced"));
    EXPECT_EQ(parse_bearer("Bearer a-b.c_d~e+f/g"), std::optional<std::string_view>("a-b.c_d~e+f/g"));
    EXPECT_EQ(parse_bearer("Bearer abc=="), std::optional<std::string_view>("abc=="));
}

TEST(Bearer, RefusesEverythingElse) {
    for (const char* header : {"", "Bearer", "Bearer ", "Bearer    ", "Bearerabc", " Bearer abc",
                               "Bearer\tabc", "Bearer abc def", "Bearer abc ", "Bearer a=b",
                               "Bearer =abc", "Bearer ab\"c", "Bearer a,b", "Basic YWxhZGRpbjpv",
                               "Token abc", "Digest abc", "Bear abc", "Bearers abc"}) {
        EXPECT_EQ(parse_bearer(header), std::nullopt) << "'" << header << "'";
    }
    EXPECT_EQ(parse_bearer(std::string_view("Bearer ab\0c", 11)), std::nullopt);
}

TEST(Bearer, ReturnsAViewIntoTheHeader) {
    const std::string header = "Bearer cb_xyz";
    const std::optional<std::string_view> token = parse_bearer(header);
    ASSERT_TRUE(token.has_value());
    EXPECT_EQ(token->data(), header.data() + 7);
}

// --- verification against the store -------------------------------------------------

class VerifyTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = test::make_temp_dir();
        Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::open(dir_);
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        store_ = std::move(opened).value();
    }
    void TearDown() override {
        store_.reset();
        std::filesystem::remove_all(dir_);
    }

    std::optional<TokenRecord> verify(SqliteStore& store, std::string_view token) {
        Result<std::optional<TokenRecord>> verified = verify_access_token(store, token);
        EXPECT_TRUE(verified.ok()) << verified.error().message;
        return verified.ok() ? *verified : std::nullopt;
    }

    std::string dir_;
    std::unique_ptr<SqliteStore> store_;
};

TEST_F(VerifyTest, AcceptsTheRightTokenAndRejectsWrongOnes) {
    Result<CreatedToken> created = store_->create_token("laptop", true);
    ASSERT_TRUE(created.ok()) << created.error().message;
    const std::optional<TokenRecord> record = verify(*store_, created->plaintext);
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->id, created->record.id);
    EXPECT_EQ(record->name, "laptop");
    EXPECT_TRUE(record->admin);
    EXPECT_FALSE(record->revoked);

    std::string last_char_changed = created->plaintext;
    last_char_changed.back() = last_char_changed.back() == 'A' ? 'B' : 'A';
    EXPECT_FALSE(verify(*store_, last_char_changed).has_value());
    EXPECT_FALSE(verify(*store_, created->plaintext.substr(0, 20)).has_value());
    EXPECT_FALSE(verify(*store_, created->plaintext + "x").has_value());
    EXPECT_FALSE(verify(*store_, "").has_value());
    EXPECT_FALSE(verify(*store_, created->record.id).has_value());  // the public id is no token
}

TEST_F(VerifyTest, RevocationAppliesToTheNextCall) {
    Result<CreatedToken> kept = store_->create_token("kept", false);
    Result<CreatedToken> revoked = store_->create_token("revoked", false);
    ASSERT_TRUE(kept.ok() && revoked.ok());
    ASSERT_TRUE(verify(*store_, revoked->plaintext).has_value());

    Result<bool> found = store_->revoke_token(revoked->record.id);
    ASSERT_TRUE(found.ok() && *found);
    EXPECT_FALSE(verify(*store_, revoked->plaintext).has_value());
    EXPECT_TRUE(verify(*store_, kept->plaintext).has_value());
}

TEST_F(VerifyTest, RevocationByAnotherProcessConnectionApplies) {
    // The CLI (`clawbot token revoke`) opens its own connection while the
    // server keeps one open; the server must see the change at once.
    Result<std::unique_ptr<SqliteStore>> cli = SqliteStore::open(dir_);
    ASSERT_TRUE(cli.ok()) << cli.error().message;
    Result<CreatedToken> created = (*cli)->create_token("from cli", false);
    ASSERT_TRUE(created.ok());
    ASSERT_TRUE(verify(*store_, created->plaintext).has_value());
    ASSERT_TRUE((*cli)->revoke_token(created->record.id).ok());
    EXPECT_FALSE(verify(*store_, created->plaintext).has_value());
}

TEST_F(VerifyTest, OnlyTheDigestReachesTheDisk) {
    std::vector<CreatedToken> tokens;
    for (int i = 0; i < 3; ++i) {
        Result<CreatedToken> created = store_->create_token("t" + std::to_string(i), i == 0);
        ASSERT_TRUE(created.ok());
        tokens.push_back(*created);
    }
    // Every file SQLite wrote (db, -wal, -shm), with the store still open so
    // nothing has been checkpointed away yet, and again after closing.
    const auto scan = [&] {
        std::string all_bytes;
        for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
            all_bytes += test::read_file(entry.path().string());
        }
        return all_bytes;
    };
    for (int pass = 0; pass < 2; ++pass) {
        const std::string disk = scan();
        for (const CreatedToken& token : tokens) {
            EXPECT_EQ(disk.find(token.plaintext), std::string::npos) << "plaintext token on disk";
            EXPECT_EQ(disk.find(token.plaintext.substr(3)), std::string::npos) << "secret part on disk";
            // The scan can find what is there: the digest and the public id.
            const TokenDigest digest = *digest_access_token(token.plaintext);
            const std::string digest_bytes(digest.begin(), digest.end());
            EXPECT_NE(disk.find(digest_bytes), std::string::npos);
            EXPECT_NE(disk.find(token.record.id), std::string::npos);
        }
        store_.reset();
    }
}

// A lookup that answers with a record whose stored digest does not match:
// verification must rely on its own constant-time comparison.
class MismatchedLookup : public TokenLookup {
public:
    Result<std::optional<StoredToken>> find_token(const TokenDigest& digest) override {
        StoredToken stored;
        stored.record.id = "tok_000000000000";
        stored.digest = digest;
        stored.digest[31] ^= 1;
        return std::optional<StoredToken>{stored};
    }
};

class FailingLookup : public TokenLookup {
public:
    Result<std::optional<StoredToken>> find_token(const TokenDigest&) override {
        return make_error("disk on fire");
    }
};

TEST(Verify, ComparesTheStoredDigestItself) {
    MismatchedLookup lookup;
    Result<std::optional<TokenRecord>> verified = verify_access_token(lookup, "cb_anything");
    ASSERT_TRUE(verified.ok());
    EXPECT_FALSE(verified->has_value());
}

TEST(Verify, StoreFailureIsAnErrorNotARejection) {
    FailingLookup lookup;
    Result<std::optional<TokenRecord>> verified = verify_access_token(lookup, "cb_anything");
    ASSERT_FALSE(verified.ok());
    EXPECT_NE(verified.error().message.find("disk on fire"), std::string::npos);
}

}  // namespace
}  // namespace clawbot::service
