//! The two database back ends behind one small interface.
//!
//! The store's logic ([`crate::store`]) is written once against [`Db`] /
//! [`SqlTx`]: SQL text with `$1`-style parameters and a handful of value
//! types (integers, text, bytes, UUIDs, booleans; times are unix
//! milliseconds). [`PgDb`] runs it on PostgreSQL (tokio-postgres, pooled by
//! deadpool), [`SqliteDb`] on a SQLite file (rusqlite, the same bundled
//! SQLite the kiosk uses). Where the dialects differ the store asks
//! [`SqlTx::dialect`].

use async_trait::async_trait;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("postgres: {0}")]
    Pg(#[from] tokio_postgres::Error),
    #[error("postgres pool: {0}")]
    Pool(String),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("column {0}: {1}")]
    Column(usize, &'static str),
    #[error("migration {0}: {1}")]
    Migration(String, String),
    #[error("database schema is newer ({0}) than this server knows ({1})")]
    SchemaTooNew(i64, i64),
}

impl DbError {
    /// A unique-constraint violation (the caller may have lost a race).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Pg(e) => e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION),
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            _ => false,
        }
    }
    /// A deadlock or serialization failure: retry the transaction.
    pub fn is_retryable(&self) -> bool {
        match self {
            DbError::Pg(e) => matches!(
                e.code(),
                Some(c) if *c == tokio_postgres::error::SqlState::T_R_DEADLOCK_DETECTED
                    || *c == tokio_postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
            ),
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DatabaseBusy
            }
            _ => false,
        }
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// A parameter or column value.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    I(i64),
    T(String),
    B(Vec<u8>),
    U(Uuid),
    Bool(bool),
    Null,
}

impl From<i64> for V {
    fn from(v: i64) -> V {
        V::I(v)
    }
}
impl From<u64> for V {
    fn from(v: u64) -> V {
        V::I(v as i64)
    }
}
impl From<i32> for V {
    fn from(v: i32) -> V {
        V::I(v as i64)
    }
}
impl From<u32> for V {
    fn from(v: u32) -> V {
        V::I(v as i64)
    }
}
impl From<&str> for V {
    fn from(v: &str) -> V {
        V::T(v.to_string())
    }
}
impl From<String> for V {
    fn from(v: String) -> V {
        V::T(v)
    }
}
impl From<&String> for V {
    fn from(v: &String) -> V {
        V::T(v.clone())
    }
}
impl From<Vec<u8>> for V {
    fn from(v: Vec<u8>) -> V {
        V::B(v)
    }
}
impl From<&[u8]> for V {
    fn from(v: &[u8]) -> V {
        V::B(v.to_vec())
    }
}
impl From<[u8; 32]> for V {
    fn from(v: [u8; 32]) -> V {
        V::B(v.to_vec())
    }
}
impl From<Uuid> for V {
    fn from(v: Uuid) -> V {
        V::U(v)
    }
}
impl From<bool> for V {
    fn from(v: bool) -> V {
        V::Bool(v)
    }
}
impl From<domain::Paise> for V {
    fn from(v: domain::Paise) -> V {
        V::I(v.as_i64())
    }
}
impl<T: Into<V>> From<Option<T>> for V {
    fn from(v: Option<T>) -> V {
        v.map(Into::into).unwrap_or(V::Null)
    }
}

/// Builds a parameter list: `params![a, b, c]`.
#[macro_export]
macro_rules! params {
    ($($x:expr),* $(,)?) => { Vec::<$crate::db::V>::from([$($crate::db::V::from($x)),*]) };
}

/// One result row.
#[derive(Debug, Clone)]
pub struct Row(pub Vec<V>);

impl Row {
    fn get(&self, i: usize) -> &V {
        self.0.get(i).unwrap_or(&V::Null)
    }
    pub fn is_null(&self, i: usize) -> bool {
        matches!(self.get(i), V::Null)
    }
    pub fn i64(&self, i: usize) -> DbResult<i64> {
        match self.get(i) {
            V::I(v) => Ok(*v),
            V::Bool(b) => Ok(*b as i64),
            _ => Err(DbError::Column(i, "expected an integer")),
        }
    }
    pub fn opt_i64(&self, i: usize) -> DbResult<Option<i64>> {
        if self.is_null(i) {
            Ok(None)
        } else {
            self.i64(i).map(Some)
        }
    }
    pub fn text(&self, i: usize) -> DbResult<String> {
        match self.get(i) {
            V::T(v) => Ok(v.clone()),
            _ => Err(DbError::Column(i, "expected text")),
        }
    }
    pub fn opt_text(&self, i: usize) -> DbResult<Option<String>> {
        if self.is_null(i) {
            Ok(None)
        } else {
            self.text(i).map(Some)
        }
    }
    pub fn bytes(&self, i: usize) -> DbResult<Vec<u8>> {
        match self.get(i) {
            V::B(v) => Ok(v.clone()),
            V::U(u) => Ok(u.as_bytes().to_vec()),
            _ => Err(DbError::Column(i, "expected bytes")),
        }
    }
    pub fn hash32(&self, i: usize) -> DbResult<[u8; 32]> {
        <[u8; 32]>::try_from(self.bytes(i)?.as_slice())
            .map_err(|_| DbError::Column(i, "expected 32 bytes"))
    }
    pub fn uuid(&self, i: usize) -> DbResult<Uuid> {
        match self.get(i) {
            V::U(u) => Ok(*u),
            V::B(b) => Uuid::from_slice(b).map_err(|_| DbError::Column(i, "expected a uuid")),
            _ => Err(DbError::Column(i, "expected a uuid")),
        }
    }
    pub fn opt_uuid(&self, i: usize) -> DbResult<Option<Uuid>> {
        if self.is_null(i) {
            Ok(None)
        } else {
            self.uuid(i).map(Some)
        }
    }
    pub fn bool(&self, i: usize) -> DbResult<bool> {
        match self.get(i) {
            V::Bool(b) => Ok(*b),
            V::I(v) => Ok(*v != 0),
            _ => Err(DbError::Column(i, "expected a boolean")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

/// An open transaction. Dropped without [`SqlTx::commit`], it rolls back.
#[async_trait]
pub trait SqlTx: Send {
    fn dialect(&self) -> Dialect;
    async fn exec(&mut self, sql: &str, params: &[V]) -> DbResult<u64>;
    async fn query(&mut self, sql: &str, params: &[V]) -> DbResult<Vec<Row>>;
    async fn commit(self: Box<Self>) -> DbResult<()>;

    async fn query_opt(&mut self, sql: &str, params: &[V]) -> DbResult<Option<Row>> {
        Ok(self.query(sql, params).await?.into_iter().next())
    }
    async fn query_one(&mut self, sql: &str, params: &[V]) -> DbResult<Row> {
        self.query_opt(sql, params)
            .await?
            .ok_or(DbError::Column(0, "expected a row"))
    }
}

#[async_trait]
pub trait Db: Send + Sync + 'static {
    fn dialect(&self) -> Dialect;
    /// Starts a transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), which serialises writers the way PostgreSQL's
    /// row locks do.
    async fn begin(&self) -> DbResult<Box<dyn SqlTx>>;
    /// For reads: on PostgreSQL no transaction at all (each statement sees
    /// the latest commit; no BEGIN/ROLLBACK round trips), on SQLite a
    /// deferred transaction (no write lock).
    async fn begin_read(&self) -> DbResult<Box<dyn SqlTx>>;
    /// A read-only snapshot for several statements that must agree.
    async fn begin_snapshot(&self) -> DbResult<Box<dyn SqlTx>>;
    /// Applies the embedded migrations not yet applied.
    async fn migrate(&self) -> DbResult<()>;
}

/// Runs `f` in a transaction and commits it.
#[macro_export]
macro_rules! in_tx {
    ($db:expr, |$tx:ident| $body:block) => {{
        let mut $tx = $db.begin().await?;
        let r: Result<_, $crate::store::StoreError> = async { $body }.await;
        match r {
            Ok(v) => {
                $tx.commit().await?;
                Ok(v)
            }
            Err(e) => Err(e),
        }
    }};
}

// ---------------------------------------------------------------- migrations

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

const PG_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init.sql",
        sql: include_str!("../../../migrations/server/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_login_delays.sql",
        sql: include_str!("../../../migrations/server/postgres/0002_login_delays.sql"),
    },
    Migration {
        version: 3,
        name: "0003_no_first_passwords_at_rest.sql",
        sql: include_str!(
            "../../../migrations/server/postgres/0003_no_first_passwords_at_rest.sql"
        ),
    },
    Migration {
        version: 4,
        name: "0004_ticket_replies.sql",
        sql: include_str!("../../../migrations/server/postgres/0004_ticket_replies.sql"),
    },
    Migration {
        version: 5,
        name: "0005_users.sql",
        sql: include_str!("../../../migrations/server/postgres/0005_users.sql"),
    },
    Migration {
        version: 6,
        name: "0006_password_reset.sql",
        sql: include_str!("../../../migrations/server/postgres/0006_password_reset.sql"),
    },
    Migration {
        version: 7,
        name: "0007_refill_requests.sql",
        sql: include_str!("../../../migrations/server/postgres/0007_refill_requests.sql"),
    },
    Migration {
        version: 8,
        name: "0008_console.sql",
        sql: include_str!("../../../migrations/server/postgres/0008_console.sql"),
    },
    Migration {
        version: 9,
        name: "0009_console_paging.sql",
        sql: include_str!("../../../migrations/server/postgres/0009_console_paging.sql"),
    },
];

const SQLITE_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init.sql",
        sql: include_str!("../../../migrations/server/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_login_delays.sql",
        sql: include_str!("../../../migrations/server/sqlite/0002_login_delays.sql"),
    },
    Migration {
        version: 3,
        name: "0003_no_first_passwords_at_rest.sql",
        sql: include_str!("../../../migrations/server/sqlite/0003_no_first_passwords_at_rest.sql"),
    },
    Migration {
        version: 4,
        name: "0004_ticket_replies.sql",
        sql: include_str!("../../../migrations/server/sqlite/0004_ticket_replies.sql"),
    },
    Migration {
        version: 5,
        name: "0005_users.sql",
        sql: include_str!("../../../migrations/server/sqlite/0005_users.sql"),
    },
    Migration {
        version: 6,
        name: "0006_password_reset.sql",
        sql: include_str!("../../../migrations/server/sqlite/0006_password_reset.sql"),
    },
    Migration {
        version: 7,
        name: "0007_refill_requests.sql",
        sql: include_str!("../../../migrations/server/sqlite/0007_refill_requests.sql"),
    },
    Migration {
        version: 8,
        name: "0008_console.sql",
        sql: include_str!("../../../migrations/server/sqlite/0008_console.sql"),
    },
    Migration {
        version: 9,
        name: "0009_console_paging.sql",
        sql: include_str!("../../../migrations/server/sqlite/0009_console_paging.sql"),
    },
];

// ---------------------------------------------------------------- PostgreSQL

pub struct PgDb {
    pool: deadpool_postgres::Pool,
}

impl PgDb {
    /// Connects to `url`. With `schema`, every connection works in that
    /// schema (created if missing) — how each test run gets its own.
    pub async fn connect(url: &str, schema: Option<&str>, pool_size: usize) -> DbResult<PgDb> {
        let mut cfg: tokio_postgres::Config = url.parse()?;
        if let Some(s) = schema {
            let (client, conn) = cfg.connect(tokio_postgres::NoTls).await?;
            let h = tokio::spawn(conn);
            client
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{s}\""))
                .await?;
            drop(client);
            let _ = h.await;
            cfg.options(format!("-c search_path={s}"));
        }
        let mgr = deadpool_postgres::Manager::from_config(
            cfg,
            tokio_postgres::NoTls,
            deadpool_postgres::ManagerConfig {
                recycling_method: deadpool_postgres::RecyclingMethod::Fast,
            },
        );
        let pool = deadpool_postgres::Pool::builder(mgr)
            .max_size(pool_size)
            .build()
            .map_err(|e| DbError::Pool(e.to_string()))?;
        Ok(PgDb { pool })
    }

    async fn client(&self) -> DbResult<deadpool_postgres::Object> {
        self.pool
            .get()
            .await
            .map_err(|e| DbError::Pool(e.to_string()))
    }
}

struct PgTx {
    client: Option<deadpool_postgres::Object>,
}

impl Drop for PgTx {
    fn drop(&mut self) {
        // Still open: roll back before the connection goes back to the
        // pool; if that fails (or no runtime is left) close it instead.
        if let Some(c) = self.client.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(h) => {
                    h.spawn(async move {
                        if c.batch_execute("ROLLBACK").await.is_err() {
                            drop(deadpool_postgres::Object::take(c));
                        }
                    });
                }
                Err(_) => drop(deadpool_postgres::Object::take(c)),
            }
        }
    }
}

impl tokio_postgres::types::ToSql for V {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes_mut::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use tokio_postgres::types::Type;
        match self {
            V::I(v) if *ty == Type::INT4 => (*v as i32).to_sql(ty, out),
            V::I(v) if *ty == Type::INT2 => (*v as i16).to_sql(ty, out),
            V::I(v) => v.to_sql(ty, out),
            V::T(v) => v.to_sql(ty, out),
            V::B(v) => v.to_sql(ty, out),
            V::U(v) => v.to_sql(ty, out),
            V::Bool(v) => v.to_sql(ty, out),
            V::Null => Ok(tokio_postgres::types::IsNull::Yes),
        }
    }
    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        true
    }
    tokio_postgres::types::to_sql_checked!();
}

mod bytes_mut {
    pub use bytes::BytesMut;
}

fn pg_row(r: &tokio_postgres::Row) -> DbResult<Row> {
    use tokio_postgres::types::Type;
    let mut out = Vec::with_capacity(r.len());
    for (i, c) in r.columns().iter().enumerate() {
        let t = c.type_();
        let v = if *t == Type::INT8 {
            r.try_get::<_, Option<i64>>(i)?.map(V::I)
        } else if *t == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)?.map(|v| V::I(v as i64))
        } else if *t == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)?.map(|v| V::I(v as i64))
        } else if *t == Type::TEXT || *t == Type::VARCHAR || *t == Type::NAME {
            r.try_get::<_, Option<String>>(i)?.map(V::T)
        } else if *t == Type::BYTEA {
            r.try_get::<_, Option<Vec<u8>>>(i)?.map(V::B)
        } else if *t == Type::UUID {
            r.try_get::<_, Option<Uuid>>(i)?.map(V::U)
        } else if *t == Type::BOOL {
            r.try_get::<_, Option<bool>>(i)?.map(V::Bool)
        } else {
            return Err(DbError::Column(i, "unsupported PostgreSQL column type"));
        };
        out.push(v.unwrap_or(V::Null));
    }
    Ok(Row(out))
}

fn pg_params(p: &[V]) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
    p.iter()
        .map(|v| v as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect()
}

/// Statements outside any transaction (autocommit), for single reads.
struct PgAuto {
    client: deadpool_postgres::Object,
}

#[async_trait]
impl SqlTx for PgAuto {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
    async fn exec(&mut self, sql: &str, params: &[V]) -> DbResult<u64> {
        let st = self.client.prepare_cached(sql).await?;
        Ok(self.client.execute(&st, &pg_params(params)).await?)
    }
    async fn query(&mut self, sql: &str, params: &[V]) -> DbResult<Vec<Row>> {
        let st = self.client.prepare_cached(sql).await?;
        let rows = self.client.query(&st, &pg_params(params)).await?;
        rows.iter().map(pg_row).collect()
    }
    async fn commit(self: Box<Self>) -> DbResult<()> {
        Ok(())
    }
}

#[async_trait]
impl SqlTx for PgTx {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
    async fn exec(&mut self, sql: &str, params: &[V]) -> DbResult<u64> {
        let c = self.client.as_ref().expect("open transaction");
        let st = c.prepare_cached(sql).await?;
        Ok(c.execute(&st, &pg_params(params)).await?)
    }
    async fn query(&mut self, sql: &str, params: &[V]) -> DbResult<Vec<Row>> {
        let c = self.client.as_ref().expect("open transaction");
        let st = c.prepare_cached(sql).await?;
        let rows = c.query(&st, &pg_params(params)).await?;
        rows.iter().map(pg_row).collect()
    }
    async fn commit(mut self: Box<Self>) -> DbResult<()> {
        let c = self.client.take().expect("open transaction");
        match c.batch_execute("COMMIT").await {
            Ok(()) => Ok(()),
            Err(e) => {
                drop(deadpool_postgres::Object::take(c));
                Err(e.into())
            }
        }
    }
}

#[async_trait]
impl Db for PgDb {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
    async fn begin(&self) -> DbResult<Box<dyn SqlTx>> {
        let c = self.client().await?;
        c.batch_execute("BEGIN").await?;
        Ok(Box::new(PgTx { client: Some(c) }))
    }
    async fn begin_read(&self) -> DbResult<Box<dyn SqlTx>> {
        Ok(Box::new(PgAuto {
            client: self.client().await?,
        }))
    }
    async fn begin_snapshot(&self) -> DbResult<Box<dyn SqlTx>> {
        let c = self.client().await?;
        c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        Ok(Box::new(PgTx { client: Some(c) }))
    }
    async fn migrate(&self) -> DbResult<()> {
        let c = self.client().await?;
        // One migrator at a time, even across server processes.
        c.batch_execute(
            "SELECT pg_advisory_lock(7355608);
             CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)",
        )
        .await?;
        let r = async {
            let row = c
                .query_one(
                    "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM schema_migrations",
                    &[],
                )
                .await?;
            let have: i64 = row.get(0);
            let known = PG_MIGRATIONS.last().map_or(0, |m| m.version);
            if have > known {
                return Err(DbError::SchemaTooNew(have, known));
            }
            for m in PG_MIGRATIONS.iter().filter(|m| m.version > have) {
                let sql = format!(
                    "BEGIN; {} ; INSERT INTO schema_migrations VALUES ({}, '{}', {}); COMMIT;",
                    m.sql,
                    m.version,
                    m.name,
                    domain::Clock::now(&domain::SystemClock).timestamp_millis()
                );
                c.batch_execute(&sql)
                    .await
                    .map_err(|e| DbError::Migration(m.name.into(), e.to_string()))?;
            }
            Ok(())
        }
        .await;
        c.batch_execute("SELECT pg_advisory_unlock(7355608)")
            .await?;
        r
    }
}

// ---------------------------------------------------------------- SQLite

/// A SQLite file with a few connections (WAL: readers do not wait for the
/// writer; writers queue on `BEGIN IMMEDIATE` with a busy timeout).
pub struct SqliteDb {
    path: std::path::PathBuf,
    idle: Arc<Mutex<Vec<rusqlite::Connection>>>,
}

impl SqliteDb {
    pub fn open(path: &std::path::Path) -> DbResult<SqliteDb> {
        private_file(path).map_err(|e| {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                Some(format!("{}: {e}", path.display())),
            ))
        })?;
        let db = SqliteDb {
            path: path.to_path_buf(),
            idle: Arc::new(Mutex::new(Vec::new())),
        };
        let c = db.connect()?;
        db.idle.lock().unwrap().push(c);
        Ok(db)
    }

    fn connect(&self) -> DbResult<rusqlite::Connection> {
        let c = rusqlite::Connection::open(&self.path)?;
        c.busy_timeout(std::time::Duration::from_secs(10))?;
        c.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
        )?;
        c.set_prepared_statement_cache_capacity(256);
        Ok(c)
    }

    fn take(&self) -> DbResult<rusqlite::Connection> {
        if let Some(c) = self.idle.lock().unwrap().pop() {
            return Ok(c);
        }
        self.connect()
    }
}

/// The database file is created 0600 before SQLite opens it (SQLite gives
/// its -wal and -shm files the database file's mode), and an existing one
/// is narrowed to 0600: it holds password hashes and SMS bodies.
fn private_file(path: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        for p in [
            path.to_path_buf(),
            suffixed(path, "-wal"),
            suffixed(path, "-shm"),
        ] {
            match std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(unix)]
fn suffixed(path: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    std::path::PathBuf::from(s)
}

struct SqliteTx {
    conn: Option<rusqlite::Connection>,
    idle: Arc<Mutex<Vec<rusqlite::Connection>>>,
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take()
            && c.execute_batch("ROLLBACK").is_ok()
        {
            self.idle.lock().unwrap().push(c);
        }
    }
}

/// `$12` → `?12`: SQLite's numbered parameters, so one SQL text serves both.
fn sqlite_sql(sql: &str) -> std::borrow::Cow<'_, str> {
    if !sql.contains('$') {
        return std::borrow::Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|n| n.is_ascii_digit()) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

impl rusqlite::ToSql for V {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match self {
            V::I(v) => ToSqlOutput::Owned(Value::Integer(*v)),
            V::T(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            V::B(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
            V::U(u) => ToSqlOutput::Borrowed(ValueRef::Blob(u.as_bytes())),
            V::Bool(b) => ToSqlOutput::Owned(Value::Integer(*b as i64)),
            V::Null => ToSqlOutput::Owned(Value::Null),
        })
    }
}

fn sqlite_rows(c: &rusqlite::Connection, sql: &str, params: &[V]) -> DbResult<Vec<Row>> {
    let mut st = c.prepare_cached(&sqlite_sql(sql))?;
    let n = st.column_count();
    let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut vals = Vec::with_capacity(n);
        for i in 0..n {
            use rusqlite::types::ValueRef;
            vals.push(match r.get_ref(i)? {
                ValueRef::Null => V::Null,
                ValueRef::Integer(v) => V::I(v),
                ValueRef::Real(_) => return Err(DbError::Column(i, "floating point column")),
                ValueRef::Text(t) => V::T(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => V::B(b.to_vec()),
            });
        }
        out.push(Row(vals));
    }
    Ok(out)
}

#[async_trait]
impl SqlTx for SqliteTx {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
    async fn exec(&mut self, sql: &str, params: &[V]) -> DbResult<u64> {
        let c = self.conn.as_ref().expect("open transaction");
        let mut st = c.prepare_cached(&sqlite_sql(sql))?;
        Ok(st.execute(rusqlite::params_from_iter(params.iter()))? as u64)
    }
    async fn query(&mut self, sql: &str, params: &[V]) -> DbResult<Vec<Row>> {
        sqlite_rows(self.conn.as_ref().expect("open transaction"), sql, params)
    }
    async fn commit(mut self: Box<Self>) -> DbResult<()> {
        let c = self.conn.take().expect("open transaction");
        c.execute_batch("COMMIT")?;
        self.idle.lock().unwrap().push(c);
        Ok(())
    }
}

#[async_trait]
impl Db for SqliteDb {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
    async fn begin(&self) -> DbResult<Box<dyn SqlTx>> {
        let c = self.take()?;
        c.execute_batch("BEGIN IMMEDIATE")?;
        Ok(Box::new(SqliteTx {
            conn: Some(c),
            idle: self.idle.clone(),
        }))
    }
    async fn begin_read(&self) -> DbResult<Box<dyn SqlTx>> {
        let c = self.take()?;
        c.execute_batch("BEGIN")?;
        Ok(Box::new(SqliteTx {
            conn: Some(c),
            idle: self.idle.clone(),
        }))
    }
    async fn begin_snapshot(&self) -> DbResult<Box<dyn SqlTx>> {
        // A deferred transaction in WAL mode reads one snapshot.
        self.begin_read().await
    }
    async fn migrate(&self) -> DbResult<()> {
        let c = self.take()?;
        c.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)",
        )?;
        let have: i64 = c.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )?;
        let known = SQLITE_MIGRATIONS.last().map_or(0, |m| m.version);
        if have > known {
            return Err(DbError::SchemaTooNew(have, known));
        }
        for m in SQLITE_MIGRATIONS.iter().filter(|m| m.version > have) {
            let sql = format!(
                "BEGIN IMMEDIATE; {} ; INSERT INTO schema_migrations VALUES ({}, '{}', {}); COMMIT;",
                m.sql,
                m.version,
                m.name,
                domain::Clock::now(&domain::SystemClock).timestamp_millis()
            );
            if let Err(e) = c.execute_batch(&sql) {
                let _ = c.execute_batch("ROLLBACK");
                return Err(DbError::Migration(m.name.into(), e.to_string()));
            }
        }
        self.idle.lock().unwrap().push(c);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbered_parameters_for_sqlite() {
        assert_eq!(
            super::sqlite_sql("a = $1 AND b = $12"),
            "a = ?1 AND b = ?12"
        );
        assert_eq!(super::sqlite_sql("x = 'a$'"), "x = 'a$'");
    }

    /// The console's paged lists, shaped as `store/console.rs` builds them,
    /// read their page from an index: no scan of the whole table, no sort.
    #[test]
    fn console_lists_read_pages_from_indexes() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        for m in super::SQLITE_MIGRATIONS {
            c.execute_batch(m.sql).unwrap();
        }
        for (q, index) in [
            (
                "SELECT p.txn_id FROM payments p JOIN kiosks k ON k.id = p.kiosk_id WHERE p.pending = TRUE ORDER BY p.created_ms, p.txn_id LIMIT 101",
                "payments_held",
            ),
            (
                "SELECT r.id FROM refill_requests r JOIN kiosks k ON k.id = r.kiosk_id WHERE 1 = 1 AND r.status = 'pending' ORDER BY r.created_ms DESC, r.id DESC LIMIT 101",
                "refill_requests_status_time",
            ),
            (
                "SELECT t.id FROM tickets t JOIN kiosks k ON k.id = t.kiosk_id WHERE 1 = 1 AND t.status = 'open' ORDER BY t.created_ms DESC, t.id DESC LIMIT 101",
                "tickets_status_time",
            ),
        ] {
            let mut st = c.prepare(&format!("EXPLAIN QUERY PLAN {q}")).unwrap();
            let plan: Vec<String> = st
                .query_map([], |r| r.get::<_, String>(3))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert!(
                plan.iter()
                    .any(|l| l.contains(&format!("USING INDEX {index}")))
                    && !plan.iter().any(|l| l.contains("TEMP B-TREE")),
                "{q}: {plan:?}"
            );
        }
    }
}
