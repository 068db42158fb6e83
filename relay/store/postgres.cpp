// See postgres.hpp.
#include "relay/store/postgres.hpp"

#include <libpq-fe.h>

#include <cstring>
#include <utility>

namespace causeway::store::sql {

using core::Error;
using core::Result;

namespace {

// Type OIDs of pg_type (catalog/pg_type_d.h, stable across server versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kNameOid = 19;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kOidOid = 26;
constexpr Oid kBpcharOid = 1042;
constexpr Oid kVarcharOid = 1043;

// SQLSTATE (PostgreSQL appendix A) to the store's reasons; classes first, then single codes.
core::Reason reason_for_sqlstate(std::string_view state) {
  if (state == "40001" || state == "40P01") return reason::kBusy;  // serialization failure, deadlock
  if (state == "XX001" || state == "XX002") return reason::kCorrupt;  // data or index corrupted
  if (state == "25006") return reason::kReadOnly;
  if (state == "22003") return reason::kOutOfRange;
  if (state == "57P01" || state == "57P02" || state == "57P03") return reason::kConnection;  // shutdown
  const auto cls = state.substr(0, 2);
  if (cls == "23") return reason::kConstraint;
  if (cls == "08") return reason::kConnection;
  if (cls == "28") return reason::kAuth;
  if (cls == "53" || cls == "58") return reason::kIo;  // insufficient resources, system error
  return reason::kPostgres;
}

std::uint64_t read_be(const char* data, int size) {
  std::uint64_t value = 0;
  for (int i = 0; i < size; ++i) value = (value << 8) | static_cast<std::uint8_t>(data[i]);
  return value;
}

bool valid_schema_name(std::string_view name) {
  if (name.empty() || name.size() > 63 || (name[0] >= '0' && name[0] <= '9')) return false;
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace

Result<NumberedSql> number_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  char quote = 0;  // ' or " while inside a literal or quoted identifier
  int next = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == '?') return Error(reason::kPostgres, "a '?' inside a quoted literal or identifier").with_context(sql);
      if (c == quote) quote = 0;  // a doubled quote closes and reopens: same result
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      if (i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
        return Error(reason::kPostgres, "numbered placeholders (?N) are not portable").with_context(sql);
      }
      out += '$' + std::to_string(++next);
    } else {
      out += c;
    }
  }
  return NumberedSql{std::move(out), next};
}

// ---- PostgresStatement ----------------------------------------------------------------------

void PgResultDeleter::operator()(pg_result* result) const noexcept { PQclear(result); }

PostgresStatement::PostgresStatement(PostgresConnection* db, std::string sql, int parameters)
    : db_(db), sql_(std::move(sql)), parameters_(static_cast<std::size_t>(parameters)) {}

PostgresStatement::~PostgresStatement() {
  // A server-side statement lives as long as the session: one-off statements free theirs.
  if (db_->conn_ == nullptr) return;
  for (const auto& [types, name] : prepared_) {
    PQclear(PQexec(db_->conn_, ("DEALLOCATE " + name).c_str()));
  }
}

PostgresStatement::Parameter* PostgresStatement::parameter(int index) {
  if (index < 1 || static_cast<std::size_t>(index) > parameters_.size()) {
    record_bind_failure(Error(reason::kOutOfRange, "bind: parameter " + std::to_string(index) + " of " +
                                                       std::to_string(parameters_.size())));
    return nullptr;
  }
  return &parameters_[static_cast<std::size_t>(index) - 1];
}

Statement& PostgresStatement::bind_i64(int index, std::int64_t value) {
  if (auto* p = parameter(index)) {
    p->type = kInt8Oid;
    p->null = false;
    p->bytes.resize(8);
    const auto bits = static_cast<std::uint64_t>(value);
    for (int i = 0; i < 8; ++i) p->bytes[static_cast<std::size_t>(i)] = static_cast<char>(bits >> (56 - 8 * i));
  }
  return *this;
}

Statement& PostgresStatement::bind_text(int index, std::string_view text) {
  if (auto* p = parameter(index)) {
    p->type = kTextOid;
    p->null = false;
    p->bytes.assign(text);
  }
  return *this;
}

Statement& PostgresStatement::bind_blob(int index, core::ByteView blob) {
  if (auto* p = parameter(index)) {
    p->type = kByteaOid;
    p->null = false;
    p->bytes.assign(reinterpret_cast<const char*>(blob.data()), blob.size());
  }
  return *this;
}

Statement& PostgresStatement::bind_null(int index) {
  if (auto* p = parameter(index)) {
    p->type = 0;
    p->null = true;
    p->bytes.clear();
  }
  return *this;
}

Result<std::string> PostgresStatement::prepared_for_types() {
  std::vector<unsigned> types;
  types.reserve(parameters_.size());
  for (const auto& p : parameters_) types.push_back(p.type);
  if (auto it = prepared_.find(types); it != prepared_.end()) return it->second;
  auto name = db_->next_statement_name();
  const std::vector<Oid> oids(types.begin(), types.end());
  std::unique_ptr<pg_result, PgResultDeleter> prepared(
      PQprepare(db_->conn_, name.c_str(), sql_.c_str(), static_cast<int>(oids.size()), oids.data()));
  if (prepared == nullptr || PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
    return db_->error_of(prepared.get(), "prepare").with_context(sql_);
  }
  prepared_.emplace(std::move(types), name);
  return name;
}

Result<bool> PostgresStatement::step() {
  if (has_bind_failure()) return take_bind_failure();
  if (!db_->is_open()) return Error(reason::kClosed);
  if (result_ == nullptr) {
    CW_TRY(const auto name, prepared_for_types());
    std::vector<const char*> values;
    std::vector<int> lengths;
    const std::vector<int> formats(parameters_.size(), 1);
    for (const auto& p : parameters_) {
      values.push_back(p.null ? nullptr : p.bytes.data());
      lengths.push_back(static_cast<int>(p.bytes.size()));
    }
    result_.reset(PQexecPrepared(db_->conn_, name.c_str(), static_cast<int>(parameters_.size()), values.data(),
                                 lengths.data(), formats.data(), 1));
    const auto status = result_ != nullptr ? PQresultStatus(result_.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      auto error = db_->error_of(result_.get(), "step").with_context(sql_);
      result_.reset();
      return error;
    }
    const char* tuples = PQcmdTuples(result_.get());
    db_->changes_ = (tuples != nullptr && *tuples != '\0') ? std::atoi(tuples) : 0;
    rows_ = status == PGRES_TUPLES_OK ? PQntuples(result_.get()) : 0;
    row_ = -1;
  }
  if (row_ + 1 >= rows_) {
    row_ = rows_;
    return false;
  }
  ++row_;
  return true;
}

void PostgresStatement::reset() noexcept {
  result_.reset();
  row_ = -1;
  rows_ = 0;
  for (auto& p : parameters_) p = Parameter{};
  clear_bind_failure();
}

bool PostgresStatement::is_null(int column) const noexcept {
  if (result_ == nullptr || row_ < 0 || row_ >= rows_) return true;
  return PQgetisnull(result_.get(), row_, column) == 1;
}

std::int64_t PostgresStatement::column_i64(int column) const noexcept {
  if (is_null(column)) return 0;
  const char* data = PQgetvalue(result_.get(), row_, column);
  const int size = PQgetlength(result_.get(), row_, column);
  switch (PQftype(result_.get(), column)) {
    case kInt8Oid:
      return size == 8 ? static_cast<std::int64_t>(read_be(data, 8)) : 0;
    case kInt4Oid:
      return size == 4 ? static_cast<std::int32_t>(static_cast<std::uint32_t>(read_be(data, 4))) : 0;
    case kInt2Oid:
      return size == 2 ? static_cast<std::int16_t>(static_cast<std::uint16_t>(read_be(data, 2))) : 0;
    case kOidOid:
      return size == 4 ? static_cast<std::int64_t>(read_be(data, 4)) : 0;
    case kBoolOid:
      return size == 1 && data[0] != 0 ? 1 : 0;
    default:
      // Like SQLite's integer of a non-numeric value. The store's SQL selects no other type as an
      // integer (no SUM or AVG, whose numeric it would have to cast).
      return 0;
  }
}

std::string PostgresStatement::column_text(int column) const {
  if (is_null(column)) return {};
  const Oid type = PQftype(result_.get(), column);
  if (type == kInt8Oid || type == kInt4Oid || type == kInt2Oid || type == kOidOid) {
    return std::to_string(column_i64(column));
  }
  // Binary text, varchar, name and bytea are their bytes.
  return std::string(PQgetvalue(result_.get(), row_, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row_, column)));
}

core::Bytes PostgresStatement::column_blob(int column) const {
  if (is_null(column)) return {};
  const auto* data = reinterpret_cast<const std::uint8_t*>(PQgetvalue(result_.get(), row_, column));
  const int size = PQgetlength(result_.get(), row_, column);
  if (size <= 0) return {};
  return core::Bytes(data, data + size);
}

// ---- PostgresConnection ---------------------------------------------------------------------

PostgresConnection::~PostgresConnection() { close(); }

void PostgresConnection::close() noexcept {
  // The session's end frees its statements: cached ones are destroyed without a DEALLOCATE each.
  pg_conn* conn = std::exchange(conn_, nullptr);
  cache_.clear();
  if (conn != nullptr) PQfinish(conn);
}

std::string PostgresConnection::scrub(std::string text) const {
  if (password_.empty()) return text;
  for (auto at = text.find(password_); at != std::string::npos; at = text.find(password_, at)) {
    text.replace(at, password_.size(), "[redacted]");
    at += std::strlen("[redacted]");
  }
  return text;
}

Error PostgresConnection::error_of(const pg_result* result, std::string_view what) const {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = result != nullptr ? PQresultErrorMessage(result) : "";
  if (message.empty() && conn_ != nullptr) message = PQerrorMessage(conn_);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  // An error without SQLSTATE did not come from the server: libpq lost it (a failed send reports
  // "server closed the connection" before the connection is marked bad).
  core::Reason name = reason::kConnection;
  if (conn_ != nullptr && PQstatus(conn_) != CONNECTION_BAD && state != nullptr && *state != '\0') {
    name = reason_for_sqlstate(state);
  }
  std::string detail(what);
  detail += ": " + scrub(std::move(message));
  if (state != nullptr && *state != '\0') detail += " (sqlstate " + std::string(state) + ")";
  return Error(name, std::move(detail));
}

Result<std::unique_ptr<PostgresConnection>> PostgresConnection::connect(const PostgresTarget& target) {
  return open_session(target, false);
}

Result<std::unique_ptr<PostgresConnection>> PostgresConnection::connect_read_only(const PostgresTarget& target) {
  return open_session(target, true);
}

Result<std::unique_ptr<PostgresConnection>> PostgresConnection::open_session(const PostgresTarget& target,
                                                                             bool read_only) {
  if (!valid_schema_name(target.schema)) {
    return Error(reason::kPostgres, "schema '" + target.schema + "' is not a lower-case SQL identifier");
  }
  // Keywords before dbname are defaults the conninfo may override; the password comes after it
  // so it is never part of a string libpq parses (and might echo in an error).
  const char* keywords[] = {"connect_timeout", "application_name", "client_encoding", "dbname", "password", nullptr};
  const char* values[] = {"10", "causeway", "UTF8", target.conninfo.c_str(),
                          target.password.empty() ? nullptr : target.password.c_str(), nullptr};
  pg_conn* raw = PQconnectdbParams(keywords, values, 1);
  if (raw == nullptr) return Error(reason::kConnection, "libpq could not allocate a connection");
  std::unique_ptr<PostgresConnection> db(new PostgresConnection(raw, target.password, target.schema));
  if (PQstatus(raw) != CONNECTION_OK) {
    std::string message = db->scrub(PQerrorMessage(raw));
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    // libpq reports a refused login only in its text; it is worth its own reason.
    const bool auth = message.find("authentication failed") != std::string::npos ||
                      message.find("no password supplied") != std::string::npos ||
                      message.find("no pg_hba.conf entry") != std::string::npos;
    return Error(auth ? reason::kAuth : reason::kConnection, "connect: " + message);
  }
  // Notices (schema "already exists, skipping" and the like) would go to stderr.
  PQsetNoticeProcessor(raw, [](void*, const char*) {}, nullptr);
  const std::string quoted = "\"" + target.schema + "\"";
  CW_TRY(auto exists, db->prepare("SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = ?"));
  exists->bind_text(1, target.schema);
  CW_TRY(const bool row, exists->step());
  const bool missing = row && exists->column_i64(0) == 0;
  if (read_only) {
    if (missing) return Error(reason::kCantOpen, "schema '" + target.schema + "' does not exist");
    CW_CHECK(db->exec("SET search_path TO " + quoted + "; SET default_transaction_read_only TO on"));
    return db;
  }
  // CREATE SCHEMA needs the CREATE privilege on the database even with IF NOT EXISTS; a role
  // given only an existing schema must not need it.
  if (missing) CW_CHECK(db->exec("CREATE SCHEMA IF NOT EXISTS " + quoted));
  // A signed transaction must be durable before it is broadcast, whatever the server's default.
  CW_CHECK(db->exec("SET search_path TO " + quoted + "; SET synchronous_commit TO on"));
  return db;
}

Result<void> PostgresConnection::exec(std::string_view sql) {
  if (conn_ == nullptr) return Error(reason::kClosed);
  const std::string text(sql);
  std::unique_ptr<pg_result, PgResultDeleter> result(PQexec(conn_, text.c_str()));
  const auto status = result != nullptr ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return error_of(result.get(), "exec");
  const char* tuples = PQcmdTuples(result.get());
  changes_ = (tuples != nullptr && *tuples != '\0') ? std::atoi(tuples) : 0;
  return core::ok();
}

Result<std::unique_ptr<Statement>> PostgresConnection::prepare(std::string_view sql) {
  if (conn_ == nullptr) return Error(reason::kClosed);
  CW_TRY(auto numbered, number_placeholders(sql));
  // Prepared on the server at the first step, when the parameter types are known.
  return std::unique_ptr<Statement>(
      std::make_unique<PostgresStatement>(this, std::move(numbered.text), numbered.parameters));
}

bool PostgresConnection::in_transaction() const noexcept {
  if (conn_ == nullptr) return false;
  const auto status = PQtransactionStatus(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

Result<void> PostgresConnection::begin(Durability durability) {
  if (durability == Durability::kSynced) return exec("BEGIN ISOLATION LEVEL SERIALIZABLE");
  return exec("BEGIN ISOLATION LEVEL SERIALIZABLE; SET LOCAL synchronous_commit TO off");
}

}  // namespace causeway::store::sql
