//! The device's ed25519 key, kept in the OS keyring (Windows Credential
//! Manager, macOS Keychain; on Linux the Secret Service with the kernel
//! keyring as its cache, or the kernel keyring alone when no Secret Service
//! answers, see [`key_store`]). The private key is never written to SQLite,
//! config files or logs: only the public half leaves this module.

use ed25519_dalek::{SigningKey, VerifyingKey};
use uuid::Uuid;

use crate::error::{Result, SyncError};
use crate::status::Warning;

/// Keyring service name; the entry's user is the device id.
pub const KEYRING_SERVICE: &str = "emitra-kiosk-device";

/// Warning code: the key is kept only until the machine restarts.
pub const NOT_PERSISTENT: &str = "keys.not_persistent";

/// Where this process keeps device keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStore {
    /// A store that survives a restart: the Secret Service on Linux (with
    /// the kernel keyring as a cache), the platform store elsewhere.
    Persistent,
    /// Linux with no reachable Secret Service: the kernel keyring only,
    /// which a restart empties. `reason` is why the Secret Service failed.
    SessionOnly { reason: String },
}

impl KeyStore {
    /// What `sync status` and `sync register` must say about the store.
    pub fn warnings(&self) -> Vec<Warning> {
        match self {
            KeyStore::Persistent => Vec::new(),
            KeyStore::SessionOnly { reason } => vec![Warning {
                code: NOT_PERSISTENT.into(),
                message: format!(
                    "no Secret Service reachable ({reason}); the device key is kept in the \
                     kernel keyring only and is lost at restart, after which the kiosk must \
                     register again"
                ),
            }],
        }
    }
}

/// The store this process uses, decided once: on Linux the Secret Service
/// if it answers on the session bus, else the kernel keyring alone.
pub fn key_store() -> &'static KeyStore {
    static STORE: std::sync::OnceLock<KeyStore> = std::sync::OnceLock::new();
    STORE.get_or_init(probe_store)
}

#[cfg(target_os = "linux")]
fn probe_store() -> KeyStore {
    use keyring::credential::CredentialApi;
    // A lookup of an entry that never exists: it needs the bus and the
    // service but no unlocked collection, and reads no secret.
    let probe = keyring::secret_service::SsCredential::new_with_target(
        None,
        KEYRING_SERVICE,
        "store-probe",
    );
    match probe.and_then(|c| c.get_secret()) {
        Ok(_) | Err(keyring::Error::NoEntry) | Err(keyring::Error::Ambiguous(_)) => {
            KeyStore::Persistent
        }
        Err(e) => KeyStore::SessionOnly {
            reason: e.to_string(),
        },
    }
}

#[cfg(not(target_os = "linux"))]
fn probe_store() -> KeyStore {
    KeyStore::Persistent
}

/// A signing key that does not print itself.
pub struct DeviceKey {
    pub device_id: Uuid,
    key: SigningKey,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKey")
            .field("device_id", &self.device_id)
            .field("public", &self.public_hex())
            .finish_non_exhaustive()
    }
}

impl DeviceKey {
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }
    pub fn public(&self) -> VerifyingKey {
        self.key.verifying_key()
    }
    pub fn public_hex(&self) -> String {
        self.public()
            .to_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
    /// A new key from OS randomness (not stored anywhere yet).
    pub fn generate(device_id: Uuid) -> Result<DeviceKey> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| SyncError::Keyring(format!("no OS randomness: {e}")))?;
        Ok(DeviceKey {
            device_id,
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// The same key under the id the centre gave the device at registration.
    pub fn with_device_id(self, device_id: Uuid) -> DeviceKey {
        DeviceKey {
            device_id,
            key: self.key,
        }
    }

    /// A key that lives only in memory (simulations and benchmarks).
    pub fn ephemeral(device_id: Uuid, seed: [u8; 32]) -> DeviceKey {
        DeviceKey {
            device_id,
            key: SigningKey::from_bytes(&seed),
        }
    }
}

/// The keyring entry of one device.
pub struct Keyring {
    device_id: Uuid,
    entry: keyring::Entry,
}

impl Keyring {
    pub fn for_device(device_id: Uuid) -> Result<Keyring> {
        join_named_session_keyring_if_none();
        let entry = entry_for(&device_id.to_string())?;
        Ok(Keyring { device_id, entry })
    }

    /// Where this handle keeps the key.
    pub fn store(&self) -> &'static KeyStore {
        key_store()
    }

    /// The stored key, if any.
    pub fn load(&self) -> Result<Option<DeviceKey>> {
        match self.entry.get_secret() {
            Ok(secret) => {
                let bytes: [u8; 32] = secret.as_slice().try_into().map_err(|_| {
                    SyncError::Keyring("stored device key has the wrong length".into())
                })?;
                Ok(Some(DeviceKey {
                    device_id: self.device_id,
                    key: SigningKey::from_bytes(&bytes),
                }))
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_err(e)),
        }
    }

    /// The stored key, or `sync.key_missing`.
    pub fn require(&self) -> Result<DeviceKey> {
        self.load()?.ok_or(SyncError::KeyMissing(self.device_id))
    }

    /// The stored key, or a new one made from OS randomness and stored.
    pub fn load_or_create(&self) -> Result<DeviceKey> {
        if let Some(k) = self.load()? {
            return Ok(k);
        }
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| SyncError::Keyring(format!("no OS randomness: {e}")))?;
        self.entry.set_secret(&seed).map_err(keyring_err)?;
        // Read back: a keyring that silently drops writes must fail here.
        self.require()
    }

    /// Stores `key` (made before the centre named the device) under this device.
    pub fn save(&self, key: &DeviceKey) -> Result<()> {
        self.entry
            .set_secret(&key.key.to_bytes())
            .map_err(keyring_err)?;
        let back = self.require()?;
        if back.public() != key.public() {
            return Err(SyncError::Keyring(
                "the keyring returned a different key".into(),
            ));
        }
        Ok(())
    }

    pub fn delete(&self) -> Result<()> {
        match self.entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_err(e)),
        }
    }
}

#[cfg(target_os = "linux")]
fn entry_for(user: &str) -> Result<keyring::Entry> {
    use keyring::keyutils::KeyutilsCredential;
    use keyring::keyutils_persistent::KeyutilsPersistentCredential;
    // Built by hand: keyring 3.6's default builder for the persistent
    // feature makes a Secret Service entry with no kernel keyring cache.
    let cred: Box<keyring::credential::Credential> = match key_store() {
        KeyStore::Persistent => Box::new(
            KeyutilsPersistentCredential::new_with_target(None, KEYRING_SERVICE, user)
                .map_err(keyring_err)?,
        ),
        KeyStore::SessionOnly { .. } => Box::new(
            KeyutilsCredential::new_with_target(None, KEYRING_SERVICE, user)
                .map_err(keyring_err)?,
        ),
    };
    Ok(keyring::Entry::new_with_credential(cred))
}

#[cfg(not(target_os = "linux"))]
fn entry_for(user: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(KEYRING_SERVICE, user).map_err(keyring_err)
}

fn keyring_err(e: keyring::Error) -> SyncError {
    // keyring errors never contain the secret itself.
    SyncError::Keyring(e.to_string())
}

/// Gives this process a session keyring of its own. Services, containers
/// and CI runners often start without one, and the kernel then falls back
/// to the per-user session keyring, where keys that were added cannot be
/// found again. Children inherit the new keyring, so a test can start
/// kiosk processes that share the device key. Off Linux, a no-op.
pub fn join_new_session_keyring() {
    #[cfg(target_os = "linux")]
    unsafe {
        const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
        // SAFETY: keyctl(2) with an integer operation and a null name.
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        );
    }
}

/// On Linux a process started outside a login session (a service, a
/// container, CI) has no session keyring, and the kernel falls back to a
/// per-user one in which stored keys cannot be found again. Such a process
/// joins the named session keyring `emitra-kiosk` instead, which every
/// kiosk process of the same user shares (the kernel keyring lasts until
/// reboot; see the crate docs). A process with a session keyring of its
/// own (a desktop login, a test that made one) keeps it.
pub fn join_named_session_keyring_if_none() {
    #[cfg(target_os = "linux")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| unsafe {
            const KEYCTL_GET_KEYRING_ID: libc::c_long = 0;
            const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
            const KEY_SPEC_SESSION_KEYRING: libc::c_long = -3;
            const KEY_SPEC_USER_SESSION_KEYRING: libc::c_long = -5;
            // SAFETY: keyctl(2) with integer arguments and a NUL-terminated name.
            let session = libc::syscall(
                libc::SYS_keyctl,
                KEYCTL_GET_KEYRING_ID,
                KEY_SPEC_SESSION_KEYRING,
                0 as libc::c_long,
            );
            let user_session = libc::syscall(
                libc::SYS_keyctl,
                KEYCTL_GET_KEYRING_ID,
                KEY_SPEC_USER_SESSION_KEYRING,
                0 as libc::c_long,
            );
            if session < 0 || session == user_session {
                libc::syscall(
                    libc::SYS_keyctl,
                    KEYCTL_JOIN_SESSION_KEYRING,
                    c"emitra-kiosk".as_ptr(),
                );
            }
        });
    }
}
