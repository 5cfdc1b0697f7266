pub mod fault;
use crate::cli::{ColorChoice, ServeArgs};
use crate::error::Error;
use std::process::ExitCode;
pub fn run(_args: ServeArgs, _color: ColorChoice) -> Result<ExitCode, Error> {
    Err(Error::Usage("serve: not built yet".into()))
}
