//! Sign-in limits per account and per client address, and how long a session lasts
//! without a request: the account settings every request shares (in the app state).

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

/// A session ends after this long without a request.
pub const SESSION_IDLE: Duration = Duration::from_secs(60 * 60);

/// Sign-in attempts allowed in a burst per account, then one more per minute.
pub const SIGN_IN_BURST_PER_ACCOUNT: u32 = 5;
/// Sign-in attempts allowed in a burst per client address, then one more every 6 s.
pub const SIGN_IN_BURST_PER_ADDRESS: u32 = 20;

/// Requests to the token API (`/api/v1/submissions…`) allowed in a burst per client
/// address, then one more every 6 s: a program submitting a day's hand tests fits, a
/// guesser of tokens or a runaway loop does not.
pub const API_BURST_PER_ADDRESS: u32 = 30;

/// Settings and state of accounts shared by all requests.
pub struct AccountSettings {
    pub idle: Duration,
    per_account: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<String>,
    api_per_address: DefaultKeyedRateLimiter<String>,
}

impl Default for AccountSettings {
    fn default() -> Self {
        let burst = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        AccountSettings {
            idle: SESSION_IDLE,
            per_account: RateLimiter::keyed(
                Quota::per_minute(NonZeroU32::MIN).allow_burst(burst(SIGN_IN_BURST_PER_ACCOUNT)),
            ),
            per_address: RateLimiter::keyed(
                Quota::with_period(Duration::from_secs(6))
                    .unwrap_or(Quota::per_minute(NonZeroU32::MIN))
                    .allow_burst(burst(SIGN_IN_BURST_PER_ADDRESS)),
            ),
            api_per_address: RateLimiter::keyed(
                Quota::with_period(Duration::from_secs(6))
                    .unwrap_or(Quota::per_minute(NonZeroU32::MIN))
                    .allow_burst(burst(API_BURST_PER_ADDRESS)),
            ),
        }
    }
}

impl AccountSettings {
    /// Counts one sign-in attempt for `login` from `address`; when either is over its
    /// limit, how long to wait.
    pub fn attempt(&self, login: &str, address: &str) -> Result<(), Duration> {
        // Keys of limiters that have refilled are dropped now and then: memory stays
        // bounded by the attempts of the last minutes.
        if self.per_address.len() > 10_000 {
            self.per_address.retain_recent();
        }
        if self.per_account.len() > 10_000 {
            self.per_account.retain_recent();
        }
        let clock = governor::clock::DefaultClock::default();
        use governor::clock::Clock;
        let now = clock.now();
        self.per_address
            .check_key(&address.to_string())
            .map_err(|not_until| not_until.wait_time_from(now))?;
        self.per_account
            .check_key(&login.trim().to_lowercase())
            .map_err(|not_until| not_until.wait_time_from(now))?;
        Ok(())
    }
}

impl AccountSettings {
    /// Counts one request to the token API from `address`; when over the limit, how long
    /// to wait.
    pub fn api_request(&self, address: &str) -> Result<(), Duration> {
        if self.api_per_address.len() > 10_000 {
            self.api_per_address.retain_recent();
        }
        use governor::clock::Clock;
        let now = governor::clock::DefaultClock::default().now();
        self.api_per_address
            .check_key(&address.to_string())
            .map_err(|not_until| not_until.wait_time_from(now))
    }
}

impl std::fmt::Debug for AccountSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountSettings")
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}
