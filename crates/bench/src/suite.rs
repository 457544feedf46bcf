//! # suite (being written)
use netkit::NetError;
/// Suite options.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {}
/// Runs the suite.
pub async fn run(_o: Options) -> Result<(), NetError> {
    Ok(())
}
