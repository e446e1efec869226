//! Taking a lock whatever became of its last holder; shared by the token registry and the
//! server's state, which sit in different layers.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// A poisoned lock only means a panic elsewhere; the data behind it is still consistent,
/// since every step under a lock is a single operation.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
