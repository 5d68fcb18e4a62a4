//! The command line's words: subcommands, options, their help text and their checks.
//!
//! Clap derives the parser from these types; doc comments are the `--help` text. Values that
//! need more than a type (durations, the loopback address) are checked here, so a bad value is a
//! usage error (exit 2) naming the option.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use miauth::Format;

pub(super) const EXIT_CODES: &str = "\
Exit codes:
  0    the token was delivered
  1    internal error (a bug in miauth)
  2    usage error or invalid input
  3    not approved before the deadline (a denial looks the same)
  4    instance error: unreachable, TLS, no MiAuth there, unexpected answer, no token
  5    local error: the port cannot be bound, the output or the kept tokens cannot be
       written or read, the keyring is locked, refused or did not answer
  6    not logged in: nothing kept for that instance or account, or its token was revoked
  130  interrupted by Ctrl-C (143: terminated by SIGTERM, on Unix)";

/// Get a Misskey access token through MiAuth, the browser login of Misskey and its forks.
#[derive(Parser, Debug)]
#[command(name = "miauth", version, after_help = EXIT_CODES)]
pub(super) struct Cli {
    #[command(subcommand)]
    pub(super) command: Command,
    /// Print only errors (and, when logging in, the URL if no browser is opened).
    #[arg(short, long, global = true)]
    pub(super) quiet: bool,
    /// More detail on stderr; repeat for more (-vv). Never shows the token.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(super) verbose: u8,
}

#[derive(Subcommand, Debug)]
pub(super) enum Command {
    /// Log in to a Misskey instance in the browser and print the access token.
    ///
    /// The token is delivered as soon as the instance hands it out. When the check beside the
    /// callback finds the approval before the browser comes back, miauth keeps the callback up
    /// to 8s after the token, so the browser still shows how the login ended; a browser slower
    /// than that finds nothing listening, though the token was delivered all the same. Ctrl-C
    /// or SIGTERM ends that wait at once, with exit code 0.
    #[command(after_help = EXIT_CODES)]
    Login {
        /// The instance: misskey.io, https://misskey.io, example.com:8443 (http only for loopback).
        instance: String,
        #[command(flatten)]
        app: AppArgs,
        /// Also keep the token, the account and the permissions asked (see `miauth token`);
        /// the account becomes the active one of its instance.
        #[arg(long)]
        save: bool,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        instance_args: InstanceArgs,
        #[command(flatten)]
        wait: WaitArgs,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Print the kept token of an instance; log in first where none is kept.
    ///
    /// Without a terminal (a script, a program) it never opens a login unless told to with
    /// --login: it exits with 6 when nothing is kept. MISSKEY_URL and MISSKEY_TOKEN in the
    /// environment win over the kept accounts of that instance.
    #[command(after_help = EXIT_CODES)]
    Token {
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        wait: WaitArgs,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Run a command with MISSKEY_URL and MISSKEY_TOKEN in its environment (never in its
    /// arguments); its exit code is the command's. The token is found as `token` finds it.
    ///
    /// After a login whose browser has not come back yet, the command starts once the browser
    /// has its page, or 8s after the token; Ctrl-C or SIGTERM then stops without starting it.
    #[command(after_help = EXEC_EXIT_CODES)]
    Exec {
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        wait: WaitArgs,
        /// The command and its arguments, after `--`.
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// List the kept accounts: instance, account, active or not, where the token is kept,
    /// the permissions asked, and whether the token still works.
    #[command(after_help = STATUS_EXIT_CODES)]
    Status {
        /// Only this instance.
        instance: Option<String>,
        /// Do not ask the instances whether the tokens still work.
        #[arg(long)]
        offline: bool,
        /// How long each instance may take to say whether its token works; the instances are
        /// asked all at once, so the listing takes about as long as the slowest of them.
        #[arg(long, default_value = "15s", value_parser = parse_timeout)]
        timeout: Duration,
        /// text for people, json for programs.
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        instance_args: InstanceArgs,
    },
    /// End a kept token's life: revoke it on the instance where the instance allows it, then
    /// forget it here.
    ///
    /// Misskey 2026.9.0 and later delete the token; older servers and the forks do not let an
    /// app revoke its own token, and it then works until you delete the app at
    /// INSTANCE/settings/apps, which miauth names. miauth asks the instance once.
    #[command(after_help = LOGOUT_EXIT_CODES)]
    Logout {
        /// The instance.
        instance: String,
        /// The account's username [default: the active account of the instance].
        #[arg(short, long)]
        user: Option<String>,
        /// Only forget the token here, without asking the instance to revoke it.
        #[arg(long)]
        local: bool,
        /// Forget the account here even when the system keyring cannot be reached (locked,
        /// refused, no answer); its token then stays in the keyring, and miauth says how to
        /// remove it by hand.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        revoke: RevokeArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a token that is not kept, read from MISSKEY_TOKEN or standard input (never from
    /// an argument, which other users can read): the last step of a CI job that logged in.
    ///
    /// The outcomes and their wording are those of `miauth logout`.
    #[command(after_help = LOGOUT_EXIT_CODES)]
    Revoke {
        /// The instance [default: MISSKEY_URL].
        instance: Option<String>,
        /// Refused: a token is never taken as an argument.
        #[arg(hide = true)]
        token: Option<String>,
        #[command(flatten)]
        revoke: RevokeArgs,
    },
    /// Make a kept account the active one of its instance.
    #[command(after_help = EXIT_CODES)]
    Switch {
        /// The instance.
        instance: String,
        /// The account's username.
        user: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Run a fake Misskey instance on loopback, for testing MiAuth clients; prints its URL first.
    Mock {
        /// The port to listen on [default: chosen by the system].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        port: u16,
        /// Approve every session as soon as its consent page opens (even `curl -L` can log in).
        #[arg(long)]
        auto_approve: bool,
        /// After Accept, create the token at once but send the browser to the callback only
        /// this long after (like 5s), as a slow browser on a busy machine does: a client's
        /// check may get the token before the browser comes back [default: at once].
        #[arg(long, value_name = "DURATION", value_parser = parse_delay)]
        redirect_delay: Option<Duration>,
        /// Answer as this server does: nodeinfo, meta, the consent page and every quirk of that
        /// software and version. All but misskey:2026.9.0 were observed on real servers;
        /// misskey:2026.9.0 follows a published change (a token may revoke itself) that no
        /// server here could run [default: misskey:2026.7.0, the newest observed, with a
        /// one-step consent page].
        #[arg(long, value_enum, value_name = "SOFTWARE:VERSION")]
        dressed_as: Option<DressArg>,
        /// Behave like a particular version or fork; repeatable, and added to --dressed-as.
        #[arg(long = "quirk", value_enum)]
        quirks: Vec<QuirkArg>,
        /// Answer POST /api/ping only after this long, like a busy server (for `miauth status`).
        #[arg(long, value_name = "DURATION", value_parser = parse_delay)]
        ping_delay: Option<Duration>,
    },
    /// List the permission names Misskey knows, one a line; deprecated ones are marked.
    Permissions,
    /// Log in to a built-in fake instance: the whole flow, offline, consent page included.
    #[command(after_help = EXIT_CODES)]
    Demo {
        /// A scripted browser visits the consent page and the fake instance approves by itself,
        /// whatever $BROWSER and the display say (automatic where no browser can be opened).
        #[arg(long)]
        auto_approve: bool,
        #[command(flatten)]
        wait: WaitArgs,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Print a completion script for a shell, made from these very options.
    ///
    /// bash: miauth completions bash > ~/.local/share/bash-completion/completions/miauth;
    /// zsh: miauth completions zsh > ~/.zfunc/_miauth (with ~/.zfunc in $fpath);
    /// fish: miauth completions fish > ~/.config/fish/completions/miauth.fish.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) of miauth and all its commands: miauth manpage | man -l -
    Manpage,
}

pub(super) const EXEC_EXIT_CODES: &str = "\
Exit codes:
  the command's own, once it runs
  2    usage error or invalid input
  3, 4, 130, 143  as for `miauth login`, when a login is needed
  5    the kept tokens cannot be read, the keyring is locked, refused or did not answer
  6    not logged in: nothing kept for that instance or account, or its token was revoked
  126  the command cannot be run (127: it was not found)";

pub(super) const LOGOUT_EXIT_CODES: &str = "\
Exit codes:
  0    the instance answered: the token is revoked, was revoked already, or the instance
       does not let an app revoke its own token (then it works until you delete the app at
       INSTANCE/settings/apps); with logout, the account is forgotten here
  2    usage error or invalid input; with revoke, no token in MISSKEY_TOKEN or on stdin
  4    the instance could not be asked (unreachable, TLS, no answer in time) or gave an
       answer that says nothing of the token: the token may still work, and with logout the
       account is forgotten here all the same. 4 is the code of every instance failure.
  5    the kept tokens cannot be read or written, the keyring is locked, refused or did not
       answer (see --force)
  6    not logged in: nothing kept for that instance or account";

pub(super) const STATUS_EXIT_CODES: &str = "\
Exit codes:
  0    every account listed works (or --offline)
  4    an instance could not be reached or answered strangely
  5    the kept tokens cannot be read
  6    nothing is kept, or a token is missing or revoked";

/// How `logout` and `revoke` ask the instance, and what they print.
#[derive(Args, Debug)]
pub(super) struct RevokeArgs {
    /// How long the instance may take to answer.
    #[arg(long, default_value = "15s", value_parser = parse_timeout)]
    pub(super) timeout: Duration,
    /// text for people (on stderr), json for programs: one object on stdout.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub(super) format: ReportFormat,
    /// Also trust the CA certificate(s) in FILE (PEM), for an instance with a private CA.
    #[arg(long, value_name = "FILE")]
    pub(super) ca_cert: Option<PathBuf>,
}

/// Which kept token `token` and `exec` use, and how to log in when none is usable.
#[derive(Args, Debug)]
pub(super) struct TargetArgs {
    /// The instance [default: the only one kept].
    pub(super) instance: Option<String>,
    /// The account's username [default: the active account of the instance].
    #[arg(short, long)]
    pub(super) user: Option<String>,
    /// Ask the instance whether the token still works; a revoked one counts as missing.
    #[arg(long)]
    pub(super) check: bool,
    /// Log in when no usable token is kept, even without a terminal.
    #[arg(long, conflicts_with = "no_login")]
    pub(super) login: bool,
    /// Never log in: exit with 6 when no usable token is kept, even on a terminal.
    #[arg(long)]
    pub(super) no_login: bool,
    #[command(flatten)]
    pub(super) app: AppArgs,
    #[command(flatten)]
    pub(super) store: StoreArgs,
    #[command(flatten)]
    pub(super) instance_args: InstanceArgs,
}

/// What the consent page is asked to show and grant.
#[derive(Args, Debug)]
pub(super) struct AppArgs {
    /// The application name shown on the consent page (128 characters at most).
    #[arg(long, default_value = "miauth")]
    pub(super) name: String,
    /// The URL of an icon shown on the consent page.
    #[arg(long)]
    pub(super) icon: Option<String>,
    /// Permissions to ask for; repeat or separate with commas. Patterns expand: read:*,
    /// write:*, read:admin:*, *:admin:*, all [default: read:account].
    #[arg(short, long = "permission", value_name = "NAMES")]
    pub(super) permissions: Vec<String>,
    /// Send permission names Misskey does not know (a fork's own) instead of refusing them.
    #[arg(long)]
    pub(super) allow_unknown_permission: bool,
}

/// Where tokens are kept.
#[derive(Args, Debug)]
pub(super) struct StoreArgs {
    /// Where to keep tokens: the system keyring, a plain-text file (owner-only on Unix), or
    /// auto (the keyring where one exists, else the file, with a warning).
    #[arg(long, value_enum, env = "MIAUTH_STORE", default_value_t = StoreArg::Auto)]
    pub(super) store: StoreArg,
    /// How long one keyring call may take [default: 5s; 60s on a terminal, where an unlock
    /// prompt may be showing].
    #[arg(long, env = "MIAUTH_KEYRING_TIMEOUT", value_parser = parse_timeout)]
    pub(super) keyring_timeout: Option<Duration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum StoreArg {
    Auto,
    Keyring,
    File,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum ReportFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub(super) struct InstanceArgs {
    /// Do not ask the instance, before the browser opens, whether it offers MiAuth.
    #[arg(long)]
    pub(super) skip_detect: bool,
    /// Also trust the CA certificate(s) in FILE (PEM), for an instance with a private CA.
    #[arg(long, value_name = "FILE")]
    pub(super) ca_cert: Option<PathBuf>,
    /// Confirm the token with POST /api/i [default: when read:account is asked for].
    #[arg(long, conflicts_with = "no_verify")]
    pub(super) verify: bool,
    /// Do not confirm the token.
    #[arg(long)]
    pub(super) no_verify: bool,
}

#[derive(Args, Debug)]
pub(super) struct WaitArgs {
    /// How long to wait for approval, like 90s, 10m or 1h.
    #[arg(long, default_value = "5m", value_parser = parse_timeout)]
    pub(super) timeout: Duration,
    /// The loopback port of the callback server [default: chosen by the system].
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    pub(super) port: u16,
    /// The loopback address of the callback server: 127.0.0.1 or ::1.
    #[arg(long, default_value = "127.0.0.1", value_parser = parse_bind)]
    pub(super) bind: IpAddr,
    /// Do not open a browser; open the printed URL yourself, on any device.
    #[arg(long)]
    pub(super) no_browser: bool,
    /// Run no callback server: approve anywhere, and miauth finds the approval by polling.
    /// For SSH sessions and CI jobs whose browser is on another device.
    #[arg(long)]
    pub(super) no_callback: bool,
    /// Time between two checks while polling (at least 1s; three times slower beside a callback).
    #[arg(long, default_value = "3s", value_parser = parse_poll_interval)]
    pub(super) poll_interval: Duration,
    /// Always show a QR code of the URL [default: when no browser opens, on a terminal].
    #[arg(long, conflicts_with = "no_qr")]
    pub(super) qr: bool,
    /// Never show a QR code of the URL.
    #[arg(long)]
    pub(super) no_qr: bool,
}

#[derive(Args, Debug)]
pub(super) struct OutputArgs {
    /// What to print: the token, a JSON object, or MISSKEY_URL/MISSKEY_TOKEN lines.
    #[arg(long, value_enum, default_value_t = Format::Token)]
    pub(super) format: Format,
    /// Write the result to FILE (atomically; owner-only on Unix) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(super) output: Option<PathBuf>,
    /// Print progress on stdout as JSON lines for a program: authorize, waiting, retrying,
    /// callback, then one success or error (see README).
    #[arg(long)]
    pub(super) events: bool,
    /// In GitHub Actions: append the result to $GITHUB_OUTPUT as step output NAME.
    #[arg(long, value_name = "NAME")]
    pub(super) github_output: Option<String>,
}

impl OutputArgs {
    /// Nothing printed: for `exec`, whose token goes to the command's environment.
    pub(super) fn none() -> OutputArgs {
        OutputArgs {
            format: Format::Token,
            output: None,
            events: false,
            github_output: None,
        }
    }
}

/// The servers `miauth mock --dressed-as` plays: each as observed, but the last, which
/// follows a published change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum DressArg {
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
    pub(super) fn software_version(self) -> (&'static str, &'static str) {
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
pub(super) enum QuirkArg {
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

pub(super) fn parse_timeout(value: &str) -> Result<Duration, String> {
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

pub(super) fn parse_delay(value: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(value)
        .map_err(|_| "not a duration with a unit; try 500ms or 1s".to_owned())?;
    if d > miauth::MAX_TIMEOUT {
        return Err("the delay can be 30 days at most".into());
    }
    Ok(d)
}

pub(super) fn parse_bind(value: &str) -> Result<IpAddr, String> {
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

pub(super) fn parse_poll_interval(value: &str) -> Result<Duration, String> {
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
    use clap::CommandFactory;

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

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
