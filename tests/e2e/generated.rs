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
    clap_mangen::generate_to(sse::cli::command(), &tmp).unwrap();
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

fn ensure(path: &Path, fresh: &[u8], stale: &mut Vec<PathBuf>) {
    if fs::read(path).ok().as_deref() == Some(fresh) {
        return;
    }
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, fresh).unwrap();
    stale.push(path.into());
}
