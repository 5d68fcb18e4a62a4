//! `miauth completions SHELL` and `miauth manpage`: text made from the command line's own
//! definitions (`args.rs`), so neither can drift from what the parser accepts.
//!
//! clap_complete writes the completion scripts. The manual page is clap_mangen's sections for
//! miauth itself, then one subsection a command (its synopsis, description and options), then
//! the exit codes: one page, as `man miauth` readers expect, with nothing to install beside it.

use clap::CommandFactory;
use miauth::exit;
use roff::{Roff, roman};

use super::args::{Cli, EXIT_CODES};
use super::deliver::write_stdout;

/// Prints the completion script for `shell`.
pub(super) fn completions(shell: clap_complete::Shell) -> u8 {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "miauth", &mut script);
    print(&String::from_utf8_lossy(&script))
}

/// Prints the manual page.
pub(super) fn manpage() -> u8 {
    match render_manpage() {
        Ok(page) => print(&page),
        Err(e) => {
            eprintln!("miauth: error: internal error: cannot render the manual page: {e}");
            exit::INTERNAL
        }
    }
}

fn print(text: &str) -> u8 {
    match write_stdout(text) {
        Ok(()) => exit::SUCCESS,
        Err(_) => exit::LOCAL,
    }
}

/// The whole manual page, as roff.
pub(super) fn render_manpage() -> std::io::Result<String> {
    let mut cli = Cli::command();
    // Built first, so each command knows its full name (`miauth login`) and the global options.
    cli.build();
    let man = clap_mangen::Man::new(cli.clone()).date(page_date());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    let mut page = tidy(&String::from_utf8_lossy(&page), true);

    page.push_str(&Roff::new().control("SH", ["COMMANDS"]).to_roff());
    for command in cli
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
    {
        page.push_str(&command_section(command)?);
    }
    page.push_str(&preformatted("EXIT STATUS", EXIT_CODES));
    page.push_str(
        &Roff::new()
            .control("PP", [])
            .text([roman(
                "Each command's own exit codes, where they differ, are listed with it above. \
                 On Windows, 143 does not occur: Ctrl-C, Ctrl-Break and closing the console \
                 all end a login with 130.",
            )])
            .to_roff(),
    );
    Ok(page)
}

/// One command as a subsection: its synopsis, description and options, and its exit codes
/// when they differ from miauth's own.
fn command_section(command: &clap::Command) -> std::io::Result<String> {
    let name = command
        .get_bin_name()
        .map_or_else(|| format!("miauth {}", command.get_name()), str::to_owned);
    // The global options are described once, at the top of the page.
    let command = command.clone().mut_args(|arg| {
        if arg.is_global_set() {
            arg.hide(true)
        } else {
            arg
        }
    });
    let man = clap_mangen::Man::new(command.clone());
    let mut section = Roff::new().control("SS", [name.as_str()]).to_roff();
    // clap_mangen heads each part as a section of its own page; here they are paragraphs,
    // the first one opened by the subsection heading and the options by their own `.TP`s.
    let mut parts = Vec::new();
    man.render_synopsis_section(&mut parts)?;
    section.push_str(&tidy(&String::from_utf8_lossy(&parts), false));
    parts.clear();
    man.render_description_section(&mut parts)?;
    let description = tidy(&String::from_utf8_lossy(&parts), false);
    if !description.trim().is_empty() {
        section.push_str(".PP\n");
        section.push_str(&description);
    }
    parts.clear();
    man.render_options_section(&mut parts)?;
    section.push_str(&tidy(&String::from_utf8_lossy(&parts), false));
    let own_codes = command
        .get_after_help()
        .map(ToString::to_string)
        .filter(|codes| codes != EXIT_CODES);
    if let Some(codes) = own_codes {
        section.push_str(&preformatted_lines(&codes));
    }
    Ok(section)
}

/// A part of clap_mangen's page fitted into this one: without its section heading (unless
/// `headings`), without the string definition it repeats at the top of each part (unless it is
/// the first part), and with its blank line between two breaks, which `mandoc -T lint` warns
/// about, made one vertical space.
fn tidy(part: &str, first: bool) -> String {
    let mut out = String::new();
    let mut lines = part.lines().peekable();
    while let Some(line) = lines.next() {
        let preamble = line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq");
        if !first && (preamble || line.starts_with(".SH ")) {
            continue;
        }
        if line == ".br" && lines.peek() == Some(&"") {
            lines.next();
            if lines.peek() == Some(&".br") {
                lines.next();
            }
            out.push_str(".sp\n");
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The page's date: `SOURCE_DATE_EPOCH` where a build sets it for a reproducible page,
/// else today (UTC).
fn page_date() -> String {
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map_or_else(std::time::SystemTime::now, |secs| {
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)
        });
    let stamp = humantime::format_rfc3339_seconds(now).to_string();
    stamp.get(..10).unwrap_or_default().to_owned()
}

/// A section of text kept as it is laid out (a table of codes).
fn preformatted(heading: &str, text: &str) -> String {
    Roff::new().control("SH", [heading]).to_roff() + &unfilled(text)
}

/// Preformatted text in a paragraph of its own.
fn preformatted_lines(text: &str) -> String {
    Roff::new().control("PP", []).to_roff() + &unfilled(text)
}

fn unfilled(text: &str) -> String {
    let mut roff = Roff::new();
    roff.control("nf", []);
    for line in text.lines() {
        roff.text([roman(line)]);
    }
    roff.control("fi", []);
    roff.to_roff()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manual_page_has_every_command_and_its_options() {
        let page = render_manpage().unwrap();
        assert!(page.contains("\n.TH miauth 1 "), "{page}");
        for command in Cli::command().get_subcommands() {
            let heading = format!(".SS \"miauth {}\"", command.get_name());
            assert!(page.contains(&heading), "no {heading}");
        }
        for option in ["no\\-callback", "github\\-output", "keyring\\-timeout"] {
            assert!(page.contains(option), "no --{option}");
        }
        assert!(page.contains(".SH \"EXIT STATUS\""), "{page}");
        assert!(
            page.contains("126  the command cannot be run"),
            "exec's own codes"
        );
    }
}
