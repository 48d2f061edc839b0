#pragma once
// The database schema and its migrations. The version lives in
// PRAGMA user_version; migration N turns version N-1 into N, each in its own
// transaction, so an interrupted upgrade resumes where it stopped.
#include "common/result.h"
#include "service/store/sqlite_connection.h"

namespace clawbot::service {

// The version this binary writes. A database with a newer version is refused
// (an older binary must not write a schema it does not know).
int latest_schema_version();

Result<int> read_schema_version(SqliteConnection& db);

// Brings the database up to latest_schema_version(). Safe when several
// processes open the same fresh database at once.
Result<bool> migrate_schema(SqliteConnection& db);

}  // namespace clawbot::service
