//! The groups of options several commands share: which kept token, what the consent page
//! asks, where tokens are kept, how to reach the instance, how to wait and what to print.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use miauth::Format;

use super::values::{parse_bind, parse_poll_interval, parse_timeout};

/// How `logout` and `revoke` ask the instance, and what they print.
#[derive(Args, Debug)]
pub(in crate::cli) struct RevokeArgs {
    /// How long the instance may take to answer.
    #[arg(long, default_value = "15s", value_parser = parse_timeout)]
    pub(in crate::cli) timeout: Duration,
    /// text for people (on stderr), json for programs: one object on stdout.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub(in crate::cli) format: ReportFormat,
    /// Also trust the CA certificate(s) in FILE (PEM), for an instance with a private CA.
    #[arg(long, value_name = "FILE")]
    pub(in crate::cli) ca_cert: Option<PathBuf>,
}

/// Which kept token `token` and `exec` use, and how to log in when none is usable.
#[derive(Args, Debug)]
pub(in crate::cli) struct TargetArgs {
    /// The instance [default: the only one kept].
    pub(in crate::cli) instance: Option<String>,
    /// The account's username [default: the active account of the instance].
    #[arg(short, long)]
    pub(in crate::cli) user: Option<String>,
    /// Ask the instance whether the token still works; a revoked one counts as missing.
    #[arg(long)]
    pub(in crate::cli) check: bool,
    /// Log in when no usable token is kept, even without a terminal.
    #[arg(long, conflicts_with = "no_login")]
    pub(in crate::cli) login: bool,
    /// Never log in: exit with 6 when no usable token is kept, even on a terminal.
    #[arg(long)]
    pub(in crate::cli) no_login: bool,
    #[command(flatten)]
    pub(in crate::cli) app: AppArgs,
    #[command(flatten)]
    pub(in crate::cli) store: StoreArgs,
    #[command(flatten)]
    pub(in crate::cli) instance_args: InstanceArgs,
}

/// What the consent page is asked to show and grant.
#[derive(Args, Debug)]
pub(in crate::cli) struct AppArgs {
    /// The application name shown on the consent page (128 characters at most).
    #[arg(long, default_value = "miauth")]
    pub(in crate::cli) name: String,
    /// The URL of an icon shown on the consent page.
    #[arg(long)]
    pub(in crate::cli) icon: Option<String>,
    /// Permissions to ask for; repeat or separate with commas. Patterns expand: read:*,
    /// write:*, read:admin:*, *:admin:*, all [default: read:account].
    #[arg(short, long = "permission", value_name = "NAMES")]
    pub(in crate::cli) permissions: Vec<String>,
    /// Send permission names Misskey does not know (a fork's own) instead of refusing them.
    #[arg(long)]
    pub(in crate::cli) allow_unknown_permission: bool,
}

/// Where tokens are kept.
#[derive(Args, Debug)]
pub(in crate::cli) struct StoreArgs {
    /// Where to keep tokens: the system keyring, a plain-text file (owner-only on Unix), or
    /// auto (the keyring where one exists, else the file, with a warning).
    #[arg(long, value_enum, env = "MIAUTH_STORE", default_value_t = StoreArg::Auto)]
    pub(in crate::cli) store: StoreArg,
    /// How long one keyring call may take [default: 5s; 60s on a terminal, where an unlock
    /// prompt may be showing].
    #[arg(long, env = "MIAUTH_KEYRING_TIMEOUT", value_parser = parse_timeout)]
    pub(in crate::cli) keyring_timeout: Option<Duration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(in crate::cli) enum StoreArg {
    Auto,
    Keyring,
    File,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(in crate::cli) enum ReportFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub(in crate::cli) struct InstanceArgs {
    /// Do not ask the instance, before the browser opens, whether it offers MiAuth.
    #[arg(long)]
    pub(in crate::cli) skip_detect: bool,
    /// Also trust the CA certificate(s) in FILE (PEM), for an instance with a private CA.
    #[arg(long, value_name = "FILE")]
    pub(in crate::cli) ca_cert: Option<PathBuf>,
    /// Confirm the token with POST /api/i [default: when read:account is asked for].
    #[arg(long, conflicts_with = "no_verify")]
    pub(in crate::cli) verify: bool,
    /// Do not confirm the token.
    #[arg(long)]
    pub(in crate::cli) no_verify: bool,
}

#[derive(Args, Debug)]
pub(in crate::cli) struct WaitArgs {
    /// How long to wait for approval, like 90s, 10m or 1h.
    #[arg(long, default_value = "5m", value_parser = parse_timeout)]
    pub(in crate::cli) timeout: Duration,
    /// The loopback port of the callback server [default: chosen by the system].
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    pub(in crate::cli) port: u16,
    /// The loopback address of the callback server: 127.0.0.1 or ::1.
    #[arg(long, default_value = "127.0.0.1", value_parser = parse_bind)]
    pub(in crate::cli) bind: IpAddr,
    /// Do not open a browser; open the printed URL yourself, on any device.
    #[arg(long)]
    pub(in crate::cli) no_browser: bool,
    /// Run no callback server: approve anywhere, and miauth finds the approval by polling.
    /// For SSH sessions and CI jobs whose browser is on another device.
    #[arg(long)]
    pub(in crate::cli) no_callback: bool,
    /// Time between two checks while polling (at least 1s; three times slower beside a callback).
    #[arg(long, default_value = "3s", value_parser = parse_poll_interval)]
    pub(in crate::cli) poll_interval: Duration,
    /// Always show a QR code of the URL [default: when no browser opens, on a terminal].
    #[arg(long, conflicts_with = "no_qr")]
    pub(in crate::cli) qr: bool,
    /// Never show a QR code of the URL.
    #[arg(long)]
    pub(in crate::cli) no_qr: bool,
}

#[derive(Args, Debug)]
pub(in crate::cli) struct OutputArgs {
    /// What to print: the token, a JSON object, or MISSKEY_URL/MISSKEY_TOKEN lines.
    #[arg(long, value_enum, default_value_t = Format::Token)]
    pub(in crate::cli) format: Format,
    /// Write the result to FILE (atomically; owner-only on Unix) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(in crate::cli) output: Option<PathBuf>,
    /// Print progress on stdout as JSON lines for a program: authorize, waiting, retrying,
    /// callback, then one success or error (see docs/program.md).
    #[arg(long)]
    pub(in crate::cli) events: bool,
    /// In GitHub Actions: append the result to $GITHUB_OUTPUT as step output NAME.
    #[arg(long, value_name = "NAME")]
    pub(in crate::cli) github_output: Option<String>,
}

impl OutputArgs {
    /// Nothing printed: for `exec`, whose token goes to the command's environment.
    pub(in crate::cli) fn none() -> OutputArgs {
        OutputArgs {
            format: Format::Token,
            output: None,
            events: false,
            github_output: None,
        }
    }
}
