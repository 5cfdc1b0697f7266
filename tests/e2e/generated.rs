//! completions/ and man/ are generated from the clap definition and checked in; this
//! test rewrites them when stale and fails, so a stale commit fails CI.

use clap_complete::{Generator, Shell};
use std::fs;
use std::path::{Path, PathBuf};

#[test]
fn completions_and_man_pages_are_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stale = Vec::new();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut sse::cli::command(), "sse", &mut buf);
        ensure(
            &root.join("completions").join(shell.file_name("sse")),
            &buf,
            &mut stale,
        );
    }
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("man");
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp).unwrap();
    man_pages(sse::cli::command(), &tmp);
    let mut fresh_names = Vec::new();
    for entry in fs::read_dir(&tmp).unwrap() {
        let entry = entry.unwrap();
        fresh_names.push(entry.file_name());
        ensure(
            &root.join("man").join(entry.file_name()),
            &fs::read(entry.path()).unwrap(),
            &mut stale,
        );
    }
    // A page for a subcommand that no longer exists is stale too.
    for entry in fs::read_dir(root.join("man")).unwrap() {
        let entry = entry.unwrap();
        if !fresh_names.contains(&entry.file_name()) {
            fs::remove_file(entry.path()).unwrap();
            stale.push(entry.path());
        }
    }
    assert!(
        stale.is_empty(),
        "regenerated {stale:?}; review and commit them"
    );
}

/// clap_mangen's pages (as `clap_mangen::generate_to` makes them) with the sections
/// of `sse::manual` (EXAMPLES, EXIT STATUS, ENVIRONMENT, SCRIPT FORMAT) in place of
/// its EXTRA section (the `--help` examples).
fn man_pages(cmd: clap::Command, dir: &Path) {
    fn page(cmd: &clap::Command, dir: &Path) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            page(sub, dir);
        }
        let man = clap_mangen::Man::new(cmd.clone());
        let mut out = Vec::new();
        man.render_title(&mut out).unwrap();
        man.render_name_section(&mut out).unwrap();
        man.render_synopsis_section(&mut out).unwrap();
        man.render_description_section(&mut out).unwrap();
        if cmd.get_arguments().any(|a| !a.is_hide_set()) {
            man.render_options_section(&mut out).unwrap();
        }
        if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
            man.render_subcommands_section(&mut out).unwrap();
        }
        for (heading, blocks) in sse::manual::man_sections(cmd.get_name()) {
            out.extend(format!(".SH \"{heading}\"\n").bytes());
            for block in blocks {
                let roff = match block {
                    sse::manual::Block::Text(t) => format!(".PP\n{}\n", roff_text(&t)),
                    sse::manual::Block::Item(term, t) => {
                        format!(".TP\n\\fB{}\\fR\n{}\n", roff_text(term), roff_text(t))
                    }
                    sse::manual::Block::Code(code) => {
                        format!(".PP\n.RS 4\n.nf\n{}\n.fi\n.RE\n", roff_text(&code))
                    }
                };
                out.extend(roff.bytes());
            }
        }
        if cmd.get_version().is_some() {
            man.render_version_section(&mut out).unwrap();
        }
        fs::write(dir.join(man.get_filename()), out).unwrap();
    }
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    page(&cmd, dir);
}

/// Text for roff: backslashes and hyphens escaped, no line read as a request.
fn roff_text(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.replace('\\', "\\e").replace('-', "\\-");
            if line.starts_with(['.', '\'']) {
                format!("\\&{line}")
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ensure(path: &Path, fresh: &[u8], stale: &mut Vec<PathBuf>) {
    if fs::read(path).ok().as_deref() == Some(fresh) {
        return;
    }
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, fresh).unwrap();
    stale.push(path.into());
}
