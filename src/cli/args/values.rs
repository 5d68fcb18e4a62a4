//! The values the command line checks beyond their type, so that a bad one is a usage error
//! (exit 2) naming the option: durations, the loopback address, the poll interval, and the
//! servers and quirks the fake instance plays.

use std::net::IpAddr;
use std::time::Duration;

use clap::ValueEnum;

/// The servers `miauth mock --dressed-as` plays: each as observed, but the last, which
/// follows a published change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(in crate::cli) enum DressArg {
    /// Misskey 2026.7.0: as 2025.11.1 (account picker), plus the permission write:admin:unset-mfa (a new server has federation off: add --quirk federation-off).
    #[value(name = "misskey:2026.7.0")]
    Misskey2026_7_0,
    /// Misskey 2025.11.1: account picker (a new server has federation off: add --quirk federation-off).
    #[value(name = "misskey:2025.11.1")]
    Misskey2025_11_1,
    /// Misskey 2024.11.0: account picker; Accept redirects even when creating the token failed.
    #[value(name = "misskey:2024.11.0")]
    Misskey2024_11_0,
    /// Misskey 13.14.2: one-step page; unknown permission names kept.
    #[value(name = "misskey:13.14.2")]
    Misskey13_14_2,
    /// Sharkey 2025.4.7: account picker; unknown permission names kept.
    #[value(name = "sharkey:2025.4.7")]
    Sharkey2025_4_7,
    /// Sharkey 2023.11.2: one-step page; unknown permission names kept.
    #[value(name = "sharkey:2023.11.2")]
    Sharkey2023_11_2,
    /// CherryPick 4.17.0: names its base Misskey 2025.10.2; federation off.
    #[value(name = "cherrypick:4.17.0")]
    Cherrypick4_17_0,
    /// Firefish 20241205: callback concatenated; a revoked token gets 403; Koa's plain-text errors.
    #[value(name = "firefish:20241205")]
    Firefish20241205,
    /// Iceshrimp 2026.5.1: callback concatenated; a revoked token gets 403.
    #[value(name = "iceshrimp:2026.5.1")]
    Iceshrimp2026_5_1,
    /// Misskey 2026.9.0, not observed: follows the published change (#17903); as 2026.7.0, and a token may revoke itself (i/revoke-token).
    #[value(name = "misskey:2026.9.0")]
    Misskey2026_9_0,
}

impl DressArg {
    /// The software and version, as nodeinfo names them.
    pub(in crate::cli) fn software_version(self) -> (&'static str, &'static str) {
        match self {
            DressArg::Misskey2026_7_0 => ("misskey", "2026.7.0"),
            DressArg::Misskey2025_11_1 => ("misskey", "2025.11.1"),
            DressArg::Misskey2024_11_0 => ("misskey", "2024.11.0"),
            DressArg::Misskey13_14_2 => ("misskey", "13.14.2"),
            DressArg::Sharkey2025_4_7 => ("sharkey", "2025.4.7"),
            DressArg::Sharkey2023_11_2 => ("sharkey", "2023.11.2"),
            DressArg::Cherrypick4_17_0 => ("cherrypick", "4.17.0"),
            DressArg::Firefish20241205 => ("firefish", "20241205"),
            DressArg::Iceshrimp2026_5_1 => ("iceshrimp", "2026.5.1"),
            DressArg::Misskey2026_9_0 => ("misskey", "2026.9.0"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(in crate::cli) enum QuirkArg {
    /// Misskey 2024.11.0 failing to create the token: Accept redirects although none exists.
    ApproveWithoutToken,
    /// Firefish, Iceshrimp: the callback gets `?session=` appended as a string.
    ConcatenatedCallback,
    /// Decode query values once instead of twice.
    SingleDecode,
    /// Federation off: nodeinfo's index, WebFinger and host-meta answer 403.
    #[value(alias = "nodeinfo-forbidden")]
    FederationOff,
}

pub(in crate::cli) fn parse_timeout(value: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(value)
        .map_err(|_| "not a duration with a unit; try 90s, 10m or 1h".to_owned())?;
    if d.is_zero() {
        return Err("the timeout must be longer than zero".into());
    }
    if d > miauth::MAX_TIMEOUT {
        return Err("the timeout can be 30 days at most".into());
    }
    Ok(d)
}

pub(in crate::cli) fn parse_delay(value: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(value)
        .map_err(|_| "not a duration with a unit; try 500ms or 1s".to_owned())?;
    if d > miauth::MAX_TIMEOUT {
        return Err("the delay can be 30 days at most".into());
    }
    Ok(d)
}

pub(in crate::cli) fn parse_bind(value: &str) -> Result<IpAddr, String> {
    let addr: IpAddr = value
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| "give a loopback address: 127.0.0.1 or ::1".to_owned())?;
    if !addr.is_loopback() {
        return Err(
            "the callback server listens on loopback addresses only (127.0.0.1 or ::1)".into(),
        );
    }
    Ok(addr)
}

pub(in crate::cli) fn parse_poll_interval(value: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(value)
        .map_err(|_| "not a duration with a unit; try 3s or 10s".to_owned())?;
    if d < miauth::MIN_POLL_INTERVAL {
        return Err("polling faster than once a second is not allowed (try 3s)".into());
    }
    if d > miauth::MAX_POLL_INTERVAL {
        return Err("the poll interval can be 1h at most".into());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_take_human_units_and_refuse_zero() {
        assert_eq!(parse_timeout("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_timeout("10m").unwrap(), Duration::from_secs(600));
        assert!(parse_timeout("0s").is_err());
        assert!(
            parse_timeout("300000000000y")
                .unwrap_err()
                .contains("30 days")
        );
        assert!(parse_timeout("soon").unwrap_err().contains("try 90s"));
    }

    #[test]
    fn the_fakes_delays_take_human_units_up_to_thirty_days() {
        assert_eq!(parse_delay("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_delay("0s").unwrap(), Duration::ZERO);
        assert!(parse_delay("31days").unwrap_err().contains("30 days"));
        assert!(parse_delay("5").unwrap_err().contains("try 500ms or 1s"));
    }

    #[test]
    fn the_callback_binds_only_to_loopback() {
        assert_eq!(parse_bind("::1").unwrap().to_string(), "::1");
        assert_eq!(parse_bind("[::1]").unwrap().to_string(), "::1");
        assert!(parse_bind("0.0.0.0").unwrap_err().contains("loopback"));
        assert!(parse_bind("192.168.1.2").unwrap_err().contains("loopback"));
    }

    #[test]
    fn polling_faster_than_once_a_second_is_refused() {
        assert_eq!(parse_poll_interval("1s").unwrap(), Duration::from_secs(1));
        assert!(
            parse_poll_interval("500ms")
                .unwrap_err()
                .contains("once a second")
        );
    }
}
