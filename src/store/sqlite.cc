// SQLite connection, statement and transaction helpers.
#include "store/sqlite.h"

namespace davault::store {

Db::~Db() { Close(); }

void Db::Close() {
  if (db_ != nullptr) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

Status Db::Error(const std::string& what) const {
  int code = db_ ? sqlite3_errcode(db_) : SQLITE_ERROR;
  std::string msg = what + ": " + (db_ ? sqlite3_errmsg(db_) : "no database");
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
    return Status::Busy("archive is busy: another davault process is writing (" + msg + ")");
  return Status::Failed("index " + msg);
}

Status Db::Open(const std::string& path, Mode mode, int busy_timeout_ms) {
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (mode == Mode::kReadWriteCreate) flags |= SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    Status s = Error("cannot open " + path);
    Close();
    return s;
  }
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  sqlite3_extended_result_codes(db_, 1);
  return Status::Ok();
}

Status Db::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    sqlite3_free(err);
    return Error("statement failed");
  }
  return Status::Ok();
}

Result<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s, nullptr) != SQLITE_OK)
    return Error("cannot prepare statement");
  return Stmt(this, s);
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error("statement failed");
}

Status Stmt::Run() {
  while (true) {
    DV_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) break;
  }
  sqlite3_reset(s_);
  return Status::Ok();
}

Transaction::~Transaction() {
  if (open_) sqlite3_exec(db_->raw(), "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::Begin() {
  DV_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  open_ = true;
  return Status::Ok();
}

Status Transaction::Commit() {
  DV_RETURN_IF_ERROR(db_->Exec("COMMIT"));
  open_ = false;
  return Status::Ok();
}

}  // namespace davault::store
