use crate::cli::{ColorChoice, DemoArgs};
use crate::error::Error;
use std::process::ExitCode;
pub fn run(_args: DemoArgs, _color: ColorChoice) -> Result<ExitCode, Error> {
    Err(Error::Usage("demo: not built yet".into()))
}
