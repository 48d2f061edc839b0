// Result<T, E>: a value or an error, and the void form.
#include "common/result.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace clawbot {
namespace {

struct Coded {
    int code;
    std::string message;
};

Result<int> half(int n) {
    if (n % 2) return make_error(std::to_string(n) + " is odd");
    return n / 2;
}

Result<void> check(bool fine) {
    if (!fine) return make_error("not fine");
    return {};
}

TEST(Result, HoldsAValueOrAnError) {
    auto ok = half(8);
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, 4);
    auto bad = half(7);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "7 is odd");
}

TEST(Result, TheVoidFormIsSuccessOrAnError) {
    EXPECT_TRUE(check(true).ok());
    const Result<void> failed = check(false);
    EXPECT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().message, "not fine");
}

TEST(Result, CarriesAnErrorTypeOfTheLayersChoosing) {
    Result<std::unique_ptr<int>, Coded> moved = std::make_unique<int>(5);
    ASSERT_TRUE(moved);
    std::unique_ptr<int> taken = std::move(moved).value();
    EXPECT_EQ(*taken, 5);
    Result<std::unique_ptr<int>, Coded> refused = Coded{429, "busy"};
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, 429);
    Result<void, Coded> void_refused = Coded{503, "down"};
    EXPECT_EQ(void_refused.error().code, 503);
}

}  // namespace
}  // namespace clawbot
