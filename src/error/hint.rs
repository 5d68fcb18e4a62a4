//! What to do next after each [`Error`]: the hint the command line prints after the message,
//! and the `hint` of the final `--events` line. Written for the person or the program that
//! ran miauth, naming the command or the setting that helps.

use super::Error;

impl Error {
    /// What the user can do next, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::InvalidInstance { .. } => {
                "give the web address of a Misskey server, like misskey.io or https://misskey.io"
                    .into()
            }
            Error::InvalidPermission { .. } => {
                "list permission names like read:account,write:notes (see `miauth permissions`)"
                    .into()
            }
            Error::InvalidOption { .. } => "see `miauth login --help`".into(),
            Error::Interrupted { approved: true, .. } => "a token may have been issued that cannot be fetched again; if the app shows under Settings > Connected apps, revoke it there, then run again".into(),
            Error::Interrupted {
                answer_lost: true, ..
            }
            | Error::Deadline {
                answer_lost: true, ..
            } => "a check's answer was lost on the way; if you approved, revoke that token under Settings > Connected apps, then run again".into(),
            Error::Deadline { .. } => {
                "run again and press Accept on the page, or give more time with --timeout".into()
            }
            Error::Interrupted { .. } => return None,
            Error::AccountNotFound { .. } => "check the handle, or give the web address of the account's server instead, like misskey.io".into(),
            Error::Unreachable { .. } => {
                "check the address and your network connection, then run again".into()
            }
            Error::Tls { .. } => {
                "check the address; the server's certificate must be valid for it".into()
            }
            Error::UnexpectedAnswer { instance, .. } => {
                format!("check that {instance} runs Misskey or a fork that offers MiAuth")
            }
            Error::CheckAnswerLost { instance, .. } | Error::CheckUnanswered { instance, .. } => format!(
                "a token may have been issued that cannot be fetched again; revoke it on {instance} under Settings > Connected apps and run again"
            ),
            Error::Unsupported { .. } => "miauth works with Misskey 12.39.0 or later and its forks Sharkey, CherryPick, Firefish, Iceshrimp and Catodon; if you are sure this one offers MiAuth, add --skip-detect".into(),
            Error::TokenRejected { instance, .. } => format!(
                "revoke the token on {instance} under Settings > Connected apps and run again"
            ),
            Error::ApprovedWithoutToken { instance } => format!(
                "look under Settings > Connected apps on {instance}: revoke a half-made token there and run again"
            ),
            Error::Bind { .. } => {
                "choose another --port, or leave it out to let the system pick a free one".into()
            }
            Error::WriteOutput { .. } => {
                "choose a file in a directory that exists and is writable, or leave out --output"
                    .into()
            }
            Error::Store { what, .. } if what == "the system keyring" => "unlock the keyring and run again, give it more time with --keyring-timeout, or keep tokens in a plain-text file with --store file".into(),
            Error::Store { .. } => "check that the directory is yours and writable, or choose another with MIAUTH_CONFIG_DIR".into(),
            Error::ChooseInstance { kept } => format!(
                "name the instance, like `miauth token {}`",
                kept.split(", ").next().unwrap_or("HOST")
            ),
            Error::StoreUnreadable { .. } => "the file was left as it is: repair it or move it aside, then run again".into(),
            Error::NotLoggedIn { instance, .. } => format!(
                "log in with `miauth login {} --save`",
                instance.as_deref().unwrap_or("HOST")
            ),
            Error::PermissionMissing {
                instance, wanted, ..
            } => format!(
                "log in for it with `miauth login {instance} -p {wanted} --save` (or `miauth token {instance} -p {wanted} --login`)"
            ),
            Error::TokenRevoked { account, .. } if account == "MISSKEY_TOKEN" => {
                "MISSKEY_URL and MISSKEY_TOKEN win over the kept accounts: unset them, or set a working token".into()
            }
            Error::TokenRevoked { instance, .. } => format!(
                "log in again with `miauth login {instance} --save` (or `miauth token {instance} --login`)"
            ),
            Error::TokenInArguments | Error::NoToken { .. } => {
                "set MISSKEY_TOKEN to the token, or pipe the token on standard input".into()
            }
            Error::Internal(_) => "please report this as a bug in miauth".into(),
        })
    }
}
