//! The one error type of cltool: every variant is bad input or a failed read/write, reported as one
//! line (`cltool: error: ...`) with exit code 2.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {size} bytes is more than the limit of {limit} bytes", .path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    /// Malformed or unsuitable input, already phrased for the user.
    #[error("{0}")]
    Input(String),
    /// A combination of options that does not make sense (clap cannot express it).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn input(message: impl Into<String>) -> Self {
        Self::Input(message.into())
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }

    /// Bad content in the file at `path`.
    pub fn in_file(path: &Path, message: impl std::fmt::Display) -> Self {
        Self::Input(format!("{}: {message}", path.display()))
    }

    pub fn read(path: &Path, source: std::io::Error) -> Self {
        Self::Read {
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn write(path: &Path, source: std::io::Error) -> Self {
        Self::Write {
            path: path.to_path_buf(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
