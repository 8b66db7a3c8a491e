//! Reading input files: size bounds, format detection by extension, snappy, JSON/YAML parsing, and
//! unwrapping the `{"value": ...}` (builder-specs examples) and `{"version", "data"}` (beacon API)
//! envelopes.

use crate::error::{Error, Result};
use serde_json::Value;
use std::io::Read;
use std::path::Path;
use types::ForkName;

/// No input file may be larger than this (checked before reading).
pub const MAX_FILE_BYTES: u64 = 1 << 30;
/// No decompressed SSZ may be larger than this (checked before allocating).
pub const MAX_SSZ_BYTES: usize = 1 << 30;

/// An input file's format, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Raw SSZ bytes.
    Ssz,
    /// SSZ compressed with snappy's *block* (raw) format, as in consensus-spec-tests.
    SszSnappy,
    /// Beacon-API JSON.
    Json,
    /// consensus-spec-tests `value.yaml`.
    Yaml,
}

impl Format {
    pub fn of(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("ssz") => Ok(Self::Ssz),
            Some("ssz_snappy") => Ok(Self::SszSnappy),
            Some("json") => Ok(Self::Json),
            Some("yaml" | "yml") => Ok(Self::Yaml),
            _ => Err(Error::input(format!(
                "{}: unknown file extension (expected .ssz, .ssz_snappy, .json or .yaml)",
                path.display()
            ))),
        }
    }
}

/// A decoded input, not yet typed.
#[derive(Debug)]
pub enum Input {
    /// SSZ bytes (decompressed if they were snappy).
    Ssz(Vec<u8>),
    /// A JSON/YAML value with any envelope removed; `version` is the envelope's fork, if it named one.
    Value {
        value: Value,
        version: Option<ForkName>,
    },
}

/// Read and parse `path` according to its extension.
pub fn read(path: &Path) -> Result<Input> {
    let format = Format::of(path)?;
    let bytes = read_bounded(path)?;
    match format {
        Format::Ssz => Ok(Input::Ssz(bytes)),
        Format::SszSnappy => decompress_snappy(path, &bytes).map(Input::Ssz),
        Format::Json => {
            let value: Value = serde_json::from_slice(&bytes)
                .map_err(|e| Error::in_file(path, format!("invalid JSON: {e}")))?;
            unwrap_envelopes(path, value)
        }
        Format::Yaml => {
            let value: Value = serde_yaml::from_slice(&bytes)
                .map_err(|e| Error::in_file(path, format!("invalid YAML: {e}")))?;
            unwrap_envelopes(path, value)
        }
    }
}

/// Read a whole file, refusing directories and anything over [`MAX_FILE_BYTES`].
pub fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
    let metadata = file.metadata().map_err(|e| Error::read(path, e))?;
    if metadata.is_dir() {
        return Err(Error::in_file(path, "is a directory, not a file"));
    }
    let too_large = |size| Error::TooLarge {
        path: path.to_path_buf(),
        size,
        limit: MAX_FILE_BYTES,
    };
    if metadata.len() > MAX_FILE_BYTES {
        return Err(too_large(metadata.len()));
    }
    // The size may change while reading: read at most one byte past the limit to notice.
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::read(path, e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Decompress snappy block format, checking the announced length before allocating.
pub fn decompress_snappy(path: &Path, compressed: &[u8]) -> Result<Vec<u8>> {
    let len = snap::raw::decompress_len(compressed)
        .map_err(|e| Error::in_file(path, format!("invalid snappy data: {e}")))?;
    if len > MAX_SSZ_BYTES {
        return Err(Error::in_file(
            path,
            format!("snappy data announces {len} bytes, more than the limit of {MAX_SSZ_BYTES}"),
        ));
    }
    snap::raw::Decoder::new()
        .decompress_vec(compressed)
        .map_err(|e| Error::in_file(path, format!("invalid snappy data: {e}")))
}

/// SSZ as written to `out`: snappy-compressed (block format) when `out` ends in `.ssz_snappy`.
pub fn ssz_for_output(out: &Path, ssz: Vec<u8>) -> Result<Vec<u8>> {
    if Format::of(out).ok() != Some(Format::SszSnappy) {
        return Ok(ssz);
    }
    snap::raw::Encoder::new()
        .compress_vec(&ssz)
        .map_err(|e| Error::input(format!("snappy compression failed: {e}")))
}

/// Keys a beacon-API response may carry beside `version` and `data` (`produceBlockV3` adds the last
/// three).
const ENVELOPE_KEYS: [&str; 8] = [
    "version",
    "data",
    "execution_optimistic",
    "finalized",
    "dependent_root",
    "execution_payload_blinded",
    "execution_payload_value",
    "consensus_block_value",
];

/// Remove a builder-specs `{"value": X}` wrapper, then a beacon-API `{"version": F, "data": X}`
/// envelope (also `{"data": X}`), returning `X` and the envelope's fork.
///
/// No consensus container has a single field `value`, or only fields among the envelope keys, so
/// neither rule can mistake a bare object for a wrapper.
pub fn unwrap_envelopes(path: &Path, mut value: Value) -> Result<Input> {
    if let Value::Object(map) = &mut value {
        if map.len() == 1 {
            if let Some(inner) = map.remove("value") {
                value = inner;
            }
        }
    }
    let mut version = None;
    if let Value::Object(map) = &mut value {
        let is_envelope =
            map.contains_key("data") && map.keys().all(|k| ENVELOPE_KEYS.contains(&k.as_str()));
        if is_envelope {
            version = match map.get("version") {
                None => None,
                Some(Value::String(name)) => Some(name.parse::<ForkName>().map_err(|_| {
                    Error::in_file(
                        path,
                        format!(
                            "envelope version {name:?} is not a supported fork (capella, deneb, \
                             electra, fulu)"
                        ),
                    )
                })?),
                Some(other) => {
                    return Err(Error::in_file(
                        path,
                        format!("envelope version must be a string, found {other}"),
                    ))
                }
            };
            value = map.remove("data").unwrap_or(Value::Null);
        }
    }
    Ok(Input::Value { value, version })
}

/// Fail if an envelope named a fork other than `fork`.
pub fn check_version(path: &Path, version: Option<ForkName>, fork: ForkName) -> Result<()> {
    match version {
        Some(v) if v != fork => Err(Error::in_file(
            path,
            format!("the file's envelope says version \"{v}\" but --fork is {fork}"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn unwrap(value: Value) -> Result<(Value, Option<ForkName>)> {
        match unwrap_envelopes(Path::new("x.json"), value)? {
            Input::Value { value, version } => Ok((value, version)),
            Input::Ssz(_) => unreachable!(),
        }
    }

    #[test]
    fn envelopes_are_removed() {
        let obj = json!({"slot": "1"});
        assert_eq!(unwrap(obj.clone()).unwrap(), (obj.clone(), None));
        assert_eq!(unwrap(json!({"value": obj})).unwrap(), (obj.clone(), None));
        assert_eq!(
            unwrap(json!({"version": "deneb", "data": obj, "execution_optimistic": false}))
                .unwrap(),
            (obj.clone(), Some(ForkName::Deneb))
        );
        assert_eq!(
            unwrap(json!({"value": {"version": "fulu", "data": obj}})).unwrap(),
            (obj.clone(), Some(ForkName::Fulu))
        );
        assert_eq!(unwrap(json!({"data": obj})).unwrap(), (obj, None));
    }

    #[test]
    fn containers_with_value_or_data_fields_are_not_envelopes() {
        let bid = json!({"header": {}, "value": "1", "pubkey": "0x"});
        assert_eq!(unwrap(bid.clone()).unwrap(), (bid, None));
        let attestation = json!({"aggregation_bits": "0x01", "data": {}, "signature": "0x"});
        assert_eq!(unwrap(attestation.clone()).unwrap(), (attestation, None));
    }

    #[test]
    fn bad_envelope_versions_are_errors() {
        assert!(unwrap(json!({"version": "bellatrix", "data": {}})).is_err());
        assert!(unwrap(json!({"version": 3, "data": {}})).is_err());
    }

    #[test]
    fn extensions() {
        assert_eq!(Format::of(Path::new("a/b.SSZ")).unwrap(), Format::Ssz);
        assert_eq!(
            Format::of(Path::new("serialized.ssz_snappy")).unwrap(),
            Format::SszSnappy
        );
        assert_eq!(Format::of(Path::new("v.yml")).unwrap(), Format::Yaml);
        assert!(Format::of(Path::new("x.txt")).is_err());
        assert!(Format::of(Path::new("noext")).is_err());
    }
}
