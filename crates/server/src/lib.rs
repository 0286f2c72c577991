//! The central server: the authority for wallets, the catalogue and final
//! receipts.
//!
//! * [`db`]: PostgreSQL (production) and SQLite (zero set-up) behind one
//!   small interface; migrations in `migrations/server/{postgres,sqlite}/`.
//! * [`store`]: every read and write, written once over [`db::Db`]; the
//!   same behaviour suite (`tests/`) runs on both back ends.
//! * [`sync`]: exactly-once push and pull by cursor (see `protocol` for the
//!   wire format, signatures and the encoding measurements).
//! * [`auth`], [`api`]: logins, tokens, devices and the HTTP API, whose
//!   OpenAPI description is served at `/openapi.json`.
//! * [`serve`]: the accept loop with header, body and idle timeouts and
//!   connection limits per address and in all (`[limits]` in the config).
//! * [`biller`], [`notify`]: bill fetch (built-in demo biller, or a
//!   department's HTTP API from the config) and SMS / e-mail with retries.
//!
//! # Demo data
//!
//! The demo kiosk K1001 and its published logins (`holder1`, `operator1`)
//! are seeded into an empty database only when asked for: `kiosk-server
//! serve` with no `--config` and no `--database` (the embedded demo on
//! SQLite in `.demo/server`), `serve --demo`, or `demo_seed = true` in the
//! config. A database or config the operator names gets none of it, and
//! the banner prints passwords only for the demo. A database seeded by an
//! older server is warned about at every start; `kiosk-server admin
//! deactivate-user | delete-user | deactivate-kiosk | delete-kiosk` remove
//! it (a kiosk or user with devices or payments on record can only be
//! deactivated: that history is kept).
//!
//! # The centre console
//!
//! Staff of the state and the districts use a browser console served by
//! this binary at `/console/` (pages built from `console/` and embedded;
//! nothing fetched from elsewhere). Admins are their own accounts
//! (`admin create-admin --role state|district|auditor [--district D]`) with
//! the kiosk users' password checks and delays, a session cookie (HttpOnly,
//! SameSite=Strict, 15 minutes idle, 8 hours at most) and a CSRF token on
//! every change. A district admin sees and touches only its district's
//! kiosks (anything else is `not_found`); an auditor reads only. Money
//! moves through maker-checker proposals (refills, settlements): the
//! admin who proposes cannot approve (`console.self_approval`). Every
//! change is written with its audit row (who, when, what, before and
//! after) in one transaction; the audit log refuses updates and deletes.
//! Kiosks report their queue (depth, amount, oldest age, app version,
//! clock offset) on each pull; the registry shows it with last seen.
//! The demo seeds `state1`, `state2`, `district1` (Jaipur) and `auditor1`.
//!
//! # Deactivated users' devices
//!
//! A device registered under a deactivated user's SSO ID may still push:
//! its entries are money already taken from citizens and are applied
//! exactly once as ever. Everything else it asks (pull, kiosk, ledger,
//! bills, duplicates, reconcile, tickets) is refused with `auth.inactive`
//! until the user is active again. To stop a counter taking payments,
//! deactivate the kiosk or de-register the device.
//!
//! # Replays and secrets
//!
//! Signatures carry no nonce, so a signed request that makes something new
//! carries the caller's own id: `POST /v1/tickets` from a device needs
//! `id`, and a repeat answers the first ticket (pushes are safe by seq).
//! A first password sent by SMS is held in the sending process's memory
//! only; the queued row keeps a text without it, and a server started again
//! lets such a message expire. Messages not delivered within 48 hours
//! expire (`expired`) instead of being retried for ever.
//!
//! # Files
//!
//! The SQLite database is created 0600 (its -wal and -shm files take that
//! mode) and narrowed to 0600 when found wider; directories the server
//! creates for it are 0700.
//!
//! # Password guessing
//!
//! Every password check (login, and the old password of a change) is
//! booked under the user's row lock *before* it is made, as a failure, so
//! parallel guesses cannot outrun the count; a right password then clears
//! it. The 5th failure in a row starts a 30 s delay, each further one
//! doubles it up to 15 min; tries during a delay are refused (`auth.locked`,
//! 423) unchecked and uncounted. The count is forgotten after 15 min without
//! a failure, so an occasional stranger's guess never keeps a holder out.
//! Each client address may fail 10 checks (refilled over 15 min,
//! `login_failures_per_address`); past that its tries are refused
//! (`request.rate_limited`) before any check, so one address cannot push
//! anyone's login into delays. Logins are trimmed once, before both the
//! limiter and the store. Hashes run on a bounded blocking pool
//! (`hash_threads`, `hash_queue`); past the queue a login is refused at once
//! (`request.busy`, 503), so a login flood cannot stall sync or health.
//!
//! # Forgotten passwords
//!
//! `POST /v1/auth/forgot` sends a six-digit code by SMS to the login's
//! registered mobile through the notification outbox (users are created
//! with a mobile: `admin create-user --mobile`; the demo's have one). The
//! code is kept only as a salted argon2id hash (`password_resets`), the SMS
//! row without it (its text is held in memory, like a first password's);
//! it lives 10 minutes and allows 5 tries, each booked before it is checked.
//! A login may ask 3 times an hour, counted by the name whether or not it
//! exists, and a client address may send 20 forgot and reset requests an
//! hour (`otp_requests`, by the injected clock; `otp.rate_limited`, 429).
//! Unknown logins, logins without a mobile and known ones get the same
//! answer after the same hashing work. Wrong, expired, used-up and
//! never-sent codes are one answer (`otp.invalid`, 401). None of it touches
//! the login's failure count or delay, so a stranger can neither lock the
//! holder out nor learn who has a login; a successful reset clears them.
//!
//! # Money
//!
//! Double-entry ledger, integer paise. A wallet payment of total `T` (bills
//! `B` by department, citizen charges `C`, commission `K` from the
//! centre's catalogue) posts: `wallet −T`, `dept:<D> +B_D`,
//! `centre:fees +(C − K)`, `commission +K`. By cheque, `cheque_clearing`
//! takes the place of the wallet. A cancellation posts the negation of the
//! payment's lines; a refill posts `centre:refills −A`, `wallet +A` (a
//! credited refill request the same, its memo naming the request). A
//! security-deposit limit is no money: it lets wallet payments go below
//! zero, as dues ([`store::Store::wallet_terms`]). Lines
//! are never updated or deleted. The kiosk's balances on its row are kept in
//! the same transaction and checked against the lines
//! ([`store::Store::ledger_check`]; run after every test).
//!
//! # Exactly once
//!
//! A push is one database transaction holding the kiosk's and the device's
//! row locks (PostgreSQL `FOR UPDATE`; SQLite `BEGIN IMMEDIATE`). Entries at
//! or below the device's high-water mark return their recorded outcome
//! (kept forever, whatever the clock says); the chain is recomputed from the
//! stored hash and must match every stored entry and the batch's
//! `last_hash` (else `sync.chain_mismatch` and a tamper alert); a batch
//! starting past high-water + 1 is `sync.gap`. New entries are decided in
//! seq order by a pure planner; refusals are recorded as `rejected` and the
//! high-water mark moves past them. An entry id seen before returns that
//! entry's outcome (same device) or is refused (`entry.duplicate_id`).
//!
//! # Users from the kiosk
//!
//! A `user_change` entry is the holder's change to the kiosk's users: add a
//! user (login, name, mobile, role), deactivate, reactivate, reset the
//! password (`sync/users.rs`). Only an active holder of the kiosk may make
//! one, and only such a holder may cancel a receipt (`auth.holder_only`).
//! The first password and a reset one are made here, hashed before the
//! push's transaction, and sent by SMS from this process's memory (the
//! notification row keeps a text without it); `user_changes` records who
//! changed whom. The pull carries the kiosk's list of users whenever it
//! differs from the one the device names (`users_digest`).
//!
//! # HTTP API (v1)
//!
//! | endpoint | caller | what |
//! |---|---|---|
//! | `POST /v1/auth/login` | anyone | `{login, password}` → `{token, expires_ms, must_change_password, role, kiosk_code}`; guesses slowed (below) |
//! | `POST /v1/auth/password` | user (even with a first password) | `{old_password, new_password}` → new token; other sessions end; wrong old passwords count like failed logins |
//! | `POST /v1/auth/forgot` | anyone | `{login}` → 202 `{expires_in_secs}`, the same for every login; a six-digit code by SMS to the registered mobile (below) |
//! | `POST /v1/auth/reset` | anyone | `{login, otp, new_password}` → 204; the password set, sessions ended, the login's failure count cleared |
//! | `POST /v1/auth/logout` | user | ends this token |
//! | `GET /v1/kiosk` | user or device | balances, exposure, flags |
//! | `GET/POST /v1/users`, `POST /v1/users/{login}/active` | holder | operators, first passwords, (de)activation |
//! | `GET/POST /v1/devices`, `DELETE /v1/devices/{id}` | holder | register `{public_key (base64url ed25519), label}` → `{device_id, device_no, …}`; one device per SSO ID |
//! | `POST /v1/sync/push`, `POST /v1/sync/pull` | device (signed) | `zstd(postcard)` bodies, see `protocol` |
//! | `GET /v1/bills?service=&consumer_no=` | user or device | the bill, plus a duplicate warning |
//! | `GET /v1/duplicates?service=&consumer_no=` | user or device | the last payment in 30 days at any kiosk |
//! | `GET /v1/ledger?after=&limit=` | user or device | wallet and commission lines |
//! | `GET /v1/reconcile/txn?receipt_no=\|entry_id=` | user or device | Verify: the recorded outcome |
//! | `GET /v1/reconcile/day?date=&status=failed\|pending\|accepted\|cancelled` | user or device | a day's transactions (IST) |
//! | `GET/POST /v1/tickets`, `GET /v1/tickets/{id}` | user or device | helpdesk tickets |
//! | `GET /healthz`, `GET /openapi.json` | anyone | probe, description |
//! | `/console/`, `/console/api/…` | console admins (cookie + `x-csrf`) | the centre console: its pages and API (docs/console-api.md) |
//!
//! Users send `Authorization: Bearer <token>` (15-minute tokens). Devices
//! send `x-device: <uuid>` and `x-sig: <base64url ed25519>` over
//! `"KSIG1" 0 ‖ device id ‖ METHOD 0 ‖ path-and-query 0 ‖ body`. Errors are
//! JSON `{code, message, expected_seq?}`: `auth.missing`, `auth.bad_token`,
//! `auth.token_expired`, `auth.bad_signature`, `auth.unknown_device`,
//! `auth.device_deregistered`, `auth.forbidden` (role),
//! `auth.password_change_required`, `auth.locked`, `auth.inactive`,
//! `auth.bad_credentials`, `device.bound_elsewhere`, `device.bad_key`,
//! `sync.gap`, `sync.chain_mismatch`, `sync.batch_empty`,
//! `sync.batch_too_large`, `protocol.too_large`, `protocol.malformed`,
//! `protocol.unsupported_version`, `request.invalid`, `request.rate_limited`,
//! `request.busy`, `request.timeout`, `request.has_history`, `request.has_refills`,
//! `otp.invalid`, `otp.format`, `otp.rate_limited`, `password.unchanged`,
//! `not_found`, `bill.unknown`, `biller.unavailable`, `internal`.
//! Another kiosk's user, device or ticket is answered exactly like one that
//! does not exist (`not_found`, 404), so ids cannot be probed. Per-entry
//! rejections (inside outcomes): see `protocol::codes`.

pub mod api;
pub mod app;
pub mod auth;
pub mod biller;
pub mod db;
pub mod notify;
pub mod serve;
pub mod store;
pub mod sync;
pub mod tls;
