//! Loading service profiles, programmes and risk tools from files (R-2, R-21, R-24).
//!
//! The parsing and validation are the domain's ([`casework_core::policy`]); this module reads
//! the files. A profile names its risk tool and programmes by paths relative to itself, and
//! every error names the file, the field and what was expected.
//!
//! ```
//! let profile = casework::config::load_profile("examples/config/profiles/city-girls.toml")?;
//! assert_eq!(profile.risk_tool.name, "Riverside scored CSE indicator tool");
//! # Ok::<(), casework::policy::ConfigError>(())
//! ```
//!
//! The shipped example files are also compiled in ([`shipped`]), so examples and tests run from
//! any directory.

use casework_core::policy::profile::ServiceProfile;
use casework_core::policy::programme::Programme;
use casework_core::policy::risk::RiskTool;
use casework_core::policy::{parse_profile, parse_programme, parse_risk_tool, ConfigError};
use std::path::{Path, PathBuf};

fn read_with(
    read: &dyn Fn(&Path) -> std::io::Result<String>,
    path: &Path,
) -> Result<String, ConfigError> {
    read(path).map_err(|e| ConfigError {
        file: path.display().to_string(),
        field: String::new(),
        problem: format!("cannot be read: {e}"),
    })
}

fn name(path: &Path) -> String {
    path.display().to_string()
}

/// Loads and validates a risk indicator tool.
pub fn load_risk_tool(path: impl AsRef<Path>) -> Result<RiskTool, ConfigError> {
    let path = path.as_ref();
    parse_risk_tool(
        &read_with(&|p| std::fs::read_to_string(p), path)?,
        &name(path),
    )
}

/// Loads and validates a programme.
pub fn load_programme(path: impl AsRef<Path>) -> Result<Programme, ConfigError> {
    let path = path.as_ref();
    parse_programme(
        &read_with(&|p| std::fs::read_to_string(p), path)?,
        &name(path),
    )
}

/// Loads a profile with the risk tool and programmes it names, and validates the whole.
pub fn load_profile(path: impl AsRef<Path>) -> Result<ServiceProfile, ConfigError> {
    load_profile_with(path.as_ref(), &|p| std::fs::read_to_string(p))
}

/// Loads a profile through `read`, which turns a path into the document's text.
pub fn load_profile_with(
    path: &Path,
    read: &dyn Fn(&Path) -> std::io::Result<String>,
) -> Result<ServiceProfile, ConfigError> {
    let file = name(path);
    let document = parse_profile(&read_with(read, path)?, &file)?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let relative = |p: &str| -> PathBuf { normalise(&base.join(p)) };
    let tool_path = relative(&document.risk_tool);
    let tool = parse_risk_tool(&read_with(read, &tool_path)?, &name(&tool_path))?;
    let programmes = document
        .programmes
        .iter()
        .map(|p| {
            let path = relative(p);
            parse_programme(&read_with(read, &path)?, &name(&path))
        })
        .collect::<Result<Vec<_>, _>>()?;
    document.assemble(&file, tool, programmes)
}

/// Folds `a/b/../c` into `a/c` without touching the file system, so compiled-in documents
/// resolve like files.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The example configuration shipped in `examples/config/`, compiled in.
pub mod shipped {
    use super::*;

    /// Every shipped document, by its path under `examples/config/`.
    pub const FILES: &[(&str, &str)] = &[
        (
            "profiles/city-girls.toml",
            include_str!("../examples/config/profiles/city-girls.toml"),
        ),
        (
            "profiles/county-all-genders.toml",
            include_str!("../examples/config/profiles/county-all-genders.toml"),
        ),
        (
            "profiles/young-peoples-team.toml",
            include_str!("../examples/config/profiles/young-peoples-team.toml"),
        ),
        (
            "programmes/one-to-one.toml",
            include_str!("../examples/config/programmes/one-to-one.toml"),
        ),
        (
            "programmes/short-term.toml",
            include_str!("../examples/config/programmes/short-term.toml"),
        ),
        (
            "programmes/intensive-16-21.toml",
            include_str!("../examples/config/programmes/intensive-16-21.toml"),
        ),
        (
            "programmes/schools-workshops.toml",
            include_str!("../examples/config/programmes/schools-workshops.toml"),
        ),
        (
            "risk-tools/scored.toml",
            include_str!("../examples/config/risk-tools/scored.toml"),
        ),
        (
            "risk-tools/matrix.toml",
            include_str!("../examples/config/risk-tools/matrix.toml"),
        ),
    ];

    fn read(path: &Path) -> std::io::Result<String> {
        let wanted = normalise(path);
        FILES
            .iter()
            .find(|(name, _)| Path::new(name) == wanted)
            .map(|(_, text)| (*text).to_owned())
            .ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, "not a shipped document")
            })
    }

    /// A shipped profile by file stem: `city-girls`, `county-all-genders`, `young-peoples-team`.
    pub fn profile(stem: &str) -> Result<ServiceProfile, ConfigError> {
        load_profile_with(Path::new(&format!("profiles/{stem}.toml")), &read)
    }

    /// A shipped risk tool by file stem: `scored`, `matrix`.
    pub fn risk_tool(stem: &str) -> Result<RiskTool, ConfigError> {
        let path = format!("risk-tools/{stem}.toml");
        parse_risk_tool(&read_with(&read, Path::new(&path))?, &path)
    }

    /// A shipped programme by file stem.
    pub fn programme(stem: &str) -> Result<Programme, ConfigError> {
        let path = format!("programmes/{stem}.toml");
        parse_programme(&read_with(&read, Path::new(&path))?, &path)
    }
}
