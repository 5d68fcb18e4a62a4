//! Kept tokens handed to programs: `token` prints one, and `exec` (`exec.rs`) runs a command
//! with it. `keep.rs` keeps a login's token, `status.rs` lists them and `accounts.rs` forgets
//! one or makes another the active one.
//!
//! They join the library's [`Store`] and [`Login`](miauth::Login): a kept token is handed out
//! without a request (but the optional liveness check), and a browser login happens only when
//! none is usable, on a terminal or when asked with `--login`. `MISSKEY_URL` and
//! `MISSKEY_TOKEN` in the environment stand for a kept account of that instance and win over
//! the store. What is printed for a person goes to stderr; the token, the status listing or
//! the command's own output go to stdout.

use std::io::IsTerminal;
use std::time::Duration;

use miauth::check::{InstanceClient, Liveness};
use miauth::store::{Account, instance_key};
use miauth::{AccessToken, Credentials, Error, Instance, Permissions, Store, User};

use super::args::{AppArgs, InstanceArgs, OutputArgs, StoreArgs, TargetArgs, WaitArgs};
use super::keep::{open_store, save};
use super::report::clean;
use super::{Start, deliver, prepare_login, read_ca};

/// How long a liveness check may take, unless told otherwise.
const PING_TIMEOUT: Duration = Duration::from_secs(15);

/// Whether a person is at the terminal: a login can be shown and answered.
pub(super) fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// When `token` may log in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LoginWhen {
    Always,
    Never,
    OnTerminal,
}

/// What `miauth token` was asked for.
pub(super) struct TokenAsked {
    pub instance: Option<String>,
    pub user: Option<String>,
    pub check: bool,
    pub login: LoginWhen,
    pub app: AppArgs,
    pub store: StoreArgs,
    pub instance_args: InstanceArgs,
}

impl TargetArgs {
    pub(super) fn into_asked(self) -> TokenAsked {
        TokenAsked {
            login: if self.login {
                LoginWhen::Always
            } else if self.no_login {
                LoginWhen::Never
            } else {
                LoginWhen::OnTerminal
            },
            instance: self.instance,
            user: self.user,
            check: self.check,
            app: self.app,
            store: self.store,
            instance_args: self.instance_args,
        }
    }
}

/// A usable token, or why a login is needed and for what.
enum Found {
    Usable(Credentials),
    Missing {
        why: Error,
        instance: Option<String>,
        permissions: Option<Permissions>,
    },
}

/// `MISSKEY_URL` and `MISSKEY_TOKEN`, when both are set.
pub(super) fn from_environment() -> Result<Option<(Instance, AccessToken)>, Error> {
    match token_from_environment() {
        Some(token) => Ok(instance_from_environment()?.map(|instance| (instance, token))),
        None => Ok(None),
    }
}

/// A variable of the environment that is set and not blank.
fn environment(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `MISSKEY_URL`, when set; one that is no instance is an error naming it.
pub(super) fn instance_from_environment() -> Result<Option<Instance>, Error> {
    environment("MISSKEY_URL")
        .map(|url| {
            Instance::parse(&url).map_err(|e| Error::InvalidOption {
                option: "MISSKEY_URL",
                input: url.clone(),
                reason: e.to_string(),
            })
        })
        .transpose()
}

/// `MISSKEY_TOKEN`, when set, without the white space around it.
pub(super) fn token_from_environment() -> Option<AccessToken> {
    environment("MISSKEY_TOKEN").map(|token| AccessToken::new(token.trim()))
}

/// The credentials a kept account stands for.
fn credentials_of(account: &Account, token: AccessToken) -> Result<Credentials, Error> {
    Ok(Credentials {
        token,
        user: User {
            id: account.user_id.clone(),
            username: account.username.clone(),
            ..User::default()
        },
        instance: Instance::parse(&account.url)?,
        permissions: Permissions::kept(account.permissions.clone()),
        verified: false,
    })
}

/// Finds a usable token for `instance` and `user`: the environment's, else the kept one.
async fn find(
    store: &Store,
    instance: Option<&str>,
    user: Option<&str>,
    asked: Option<&Permissions>,
    check: bool,
    roots: &[reqwest::Certificate],
) -> Result<Found, Error> {
    if user.is_none()
        && let Some((env_instance, token)) = from_environment()?
        && instance.is_none_or(|i| instance_key(i) == env_instance.authority())
    {
        let credentials = Credentials {
            token,
            user: User::default(),
            instance: env_instance,
            permissions: Permissions::kept(Vec::new()),
            verified: false,
        };
        if check && revoked(&credentials, roots).await? {
            return Ok(Found::Missing {
                why: Error::TokenRevoked {
                    account: "MISSKEY_TOKEN".into(),
                    instance: credentials.instance.as_argument(),
                },
                instance: Some(credentials.instance.as_argument()),
                permissions: asked.cloned(),
            });
        }
        return Ok(Found::Usable(credentials));
    }
    let account = match store.find(instance, user) {
        Ok(account) => account,
        Err(why @ Error::NotLoggedIn { .. }) => {
            return Ok(Found::Missing {
                why,
                instance: instance.map(str::to_owned),
                permissions: asked.cloned(),
            });
        }
        Err(e) => return Err(e),
    };
    let kept = Permissions::kept(account.permissions.clone());
    let missing_for = |why: Error| Found::Missing {
        why,
        instance: Some(account.url.clone()),
        permissions: Some(match asked {
            Some(asked) => kept.union(asked),
            None => kept.clone(),
        }),
    };
    if let Some(asked) = asked {
        let lacking = asked.missing_from(&account.permissions);
        if !lacking.is_empty() {
            return Ok(missing_for(Error::PermissionMissing {
                account: account.handle(),
                instance: account.instance_argument(),
                lacking: lacking.join(", "),
                wanted: kept.union(asked).names().join(","),
            }));
        }
    }
    let token = match store.token(&account).await {
        Ok(token) => token,
        Err(why @ Error::NotLoggedIn { .. }) => return Ok(missing_for(why)),
        Err(e) => return Err(e),
    };
    let credentials = credentials_of(&account, token)?;
    if check && revoked(&credentials, roots).await? {
        return Ok(missing_for(Error::TokenRevoked {
            account: account.handle(),
            instance: account.instance_argument(),
        }));
    }
    Ok(Found::Usable(credentials))
}

/// Whether the instance says the token was revoked (`--check`); any other answer is not.
async fn revoked(credentials: &Credentials, roots: &[reqwest::Certificate]) -> Result<bool, Error> {
    let liveness = ping(
        &credentials.instance,
        &credentials.token,
        roots,
        PING_TIMEOUT,
    )
    .await?;
    Ok(liveness == Liveness::Revoked)
}

/// Whether `token` still works on `instance`, asked with one request of at most `timeout`.
pub(super) async fn ping(
    instance: &Instance,
    token: &AccessToken,
    roots: &[reqwest::Certificate],
    timeout: Duration,
) -> Result<Liveness, Error> {
    InstanceClient::new(instance, roots, timeout)?
        .ping(token)
        .await
}

/// `miauth token`: the kept token, or a login where none is usable and one may happen.
pub(super) async fn token(
    quiet: bool,
    verbose: u8,
    asked: TokenAsked,
    wait: &WaitArgs,
    out: &OutputArgs,
) -> u8 {
    let start = Start::new(quiet, verbose, wait, out, false);
    let destination = match super::destination(out) {
        Ok(destination) => destination,
        Err(e) => return start.fail_early(&e, out),
    };
    let code = match resolve(&start, asked, wait, out).await {
        Ok((credentials, kept)) => deliver::deliver(
            &start.reporter,
            &credentials,
            &destination,
            kept.err().as_ref(),
        ),
        Err(code) => code,
    };
    let _ = start.page_served().await;
    code
}

/// The token as `token` and `exec` find it: from the environment, kept, or from a login that
/// runs when none is usable and one may (then it is kept too, and `Ok` carries whether keeping
/// it failed). `Err` is the exit code of a failure, already reported.
pub(super) async fn resolve(
    start: &Start,
    asked: TokenAsked,
    wait: &WaitArgs,
    out: &OutputArgs,
) -> Result<(Credentials, Result<(), Error>), u8> {
    let fail = |e: Error| start.fail_early(&e, out);
    let store = open_store(&asked.store).map_err(fail)?;
    let permissions = if asked.app.permissions.is_empty() {
        None
    } else {
        Some(
            Permissions::resolve(&asked.app.permissions, asked.app.allow_unknown_permission)
                .map_err(fail)?,
        )
    };
    let roots = read_ca(&asked.instance_args)
        .map_err(fail)?
        .map(|(_, certs)| certs)
        .unwrap_or_default();
    let found = find(
        &store,
        asked.instance.as_deref(),
        asked.user.as_deref(),
        permissions.as_ref(),
        asked.check,
        &roots,
    )
    .await
    .map_err(fail)?;
    let (why, instance, permissions) = match found {
        Found::Usable(credentials) => return Ok((credentials, Ok(()))),
        Found::Missing {
            why,
            instance,
            permissions,
        } => (why, instance, permissions),
    };
    let may_log_in = match asked.login {
        LoginWhen::Always => true,
        LoginWhen::Never => false,
        LoginWhen::OnTerminal => interactive(),
    };
    let Some(instance) = instance.filter(|_| may_log_in) else {
        return Err(fail(why));
    };
    start
        .reporter
        .say(&format!("{}; logging in.", clean(&why.to_string())));
    let mut app = asked.app;
    if let Some(permissions) = permissions {
        app.permissions = permissions.names().to_vec();
        app.allow_unknown_permission = true;
    }
    let login = prepare_login(&instance, app, &asked.instance_args, &start.reporter)
        .await
        .map_err(fail)?;
    let credentials = start.obtain(login, wait, out).await?;
    // Whoever approved is who logged in: another account than the one asked for is kept as
    // itself (its token is not lost), but never handed out in place of the one asked for.
    if let Some(wanted) = asked.user.as_deref().map(|u| u.trim_start_matches('@'))
        && !credentials.user.username.eq_ignore_ascii_case(wanted)
    {
        if let Err(e) = save(&start.reporter, &store, &credentials, &roots).await {
            return Ok((credentials, Err(e)));
        }
        return Err(fail(Error::NotLoggedIn {
            instance: Some(credentials.instance.as_argument()),
            user: Some(wanted.to_owned()),
            reason: format!(
                "the login was approved by {} instead, whose token is kept as theirs",
                credentials.handle()
            ),
        }));
    }
    let kept = save(&start.reporter, &store, &credentials, &roots).await;
    Ok((credentials, kept))
}

/// Prints `e` as every other error is printed, and returns its exit code.
pub(super) fn fail(e: &Error) -> u8 {
    match e.hint() {
        Some(hint) => eprintln!("miauth: error: {}; {}", clean(&e.to_string()), clean(&hint)),
        None => eprintln!("miauth: error: {}", clean(&e.to_string())),
    }
    e.exit_code()
}
