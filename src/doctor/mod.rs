use crate::cli::{ColorChoice, DoctorArgs};
use crate::error::Error;
use std::process::ExitCode;
pub fn run(_args: DoctorArgs, _color: ColorChoice) -> Result<ExitCode, Error> {
    Err(Error::Usage("doctor: not built yet".into()))
}
