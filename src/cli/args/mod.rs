//! The command line's words: subcommands, options, their help text and their checks.
//!
//! Clap derives the parser from these types; doc comments are the `--help` text. Values that
//! need more than a type (durations, the loopback address) are checked here, so a bad value is a
//! usage error (exit 2) naming the option. The groups of options several commands share are
//! `options.rs`; the checked values, `values.rs`.

mod options;
mod values;

use std::time::Duration;

use clap::{Parser, Subcommand};

pub(super) use options::*;
pub(super) use values::*;

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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
