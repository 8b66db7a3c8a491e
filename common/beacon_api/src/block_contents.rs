//! Blocks as block production answers them and publication takes them. From Deneb on a full block
//! travels with its blobs and KZG proofs (`BlockContents`, `SignedBlockContents`); a Capella block, or a
//! blinded one, travels alone. Neither JSON nor SSZ names the fork, so every decoder takes it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ssz::{DecodeError, Encode};
use ssz_derive::Encode;
use ssz_types::VariableList;
use types::{
    BeaconBlock, BlindedBeaconBlock, Blobs, EthSpec, ForkName, ForkVersioned, KzgProof,
    SignedBeaconBlock, U256,
};

/// KZG proofs of a block's blobs: one per blob before Fulu, one per cell from Fulu (the larger limit
/// holds both; [`check_proofs`] applies the fork's).
pub type KzgProofs<E> = VariableList<KzgProof, <E as EthSpec>::MaxCellProofsPerBlock>;

fn check_proofs<E: EthSpec>(fork: ForkName, proofs: usize) -> Result<(), String> {
    use ssz_types::typenum::Unsigned;
    let limit = if fork.fulu_enabled() {
        E::MaxCellProofsPerBlock::to_usize()
    } else {
        E::MaxBlobCommitmentsPerBlock::to_usize()
    };
    if proofs > limit {
        return Err(format!(
            "{proofs} KZG proofs exceed the {fork} limit of {limit}"
        ));
    }
    Ok(())
}

/// `BlockContents` (Deneb on): an unsigned block with its blobs and their proofs.
#[derive(Debug, Clone, PartialEq, Serialize, Encode)]
#[serde(bound = "E: EthSpec")]
pub struct BlockContents<E: EthSpec> {
    pub block: BeaconBlock<E>,
    pub kzg_proofs: KzgProofs<E>,
    #[serde(with = "ssz_types::serde_utils::list_of_hex_fixed_vec")]
    pub blobs: Blobs<E>,
}

/// `SignedBlockContents` (Deneb on): what `POST /eth/v2/beacon/blocks` takes.
#[derive(Debug, Clone, PartialEq, Serialize, Encode)]
#[serde(bound = "E: EthSpec")]
pub struct SignedBlockContents<E: EthSpec> {
    pub signed_block: SignedBeaconBlock<E>,
    pub kzg_proofs: KzgProofs<E>,
    #[serde(with = "ssz_types::serde_utils::list_of_hex_fixed_vec")]
    pub blobs: Blobs<E>,
}

#[derive(Deserialize)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
struct RawContents<E: EthSpec> {
    #[serde(alias = "signed_block")]
    block: serde_json::Value,
    kzg_proofs: KzgProofs<E>,
    #[serde(with = "ssz_types::serde_utils::list_of_hex_fixed_vec")]
    blobs: Blobs<E>,
}

fn json_error(message: String) -> serde_json::Error {
    <serde_json::Error as serde::de::Error>::custom(message)
}

/// Decodes `{block, kzg_proofs, blobs}` by hand: the block's variant comes from `fork`.
fn decode_contents_ssz<E: EthSpec, B>(
    bytes: &[u8],
    fork: ForkName,
    block: impl FnOnce(&[u8]) -> Result<B, DecodeError>,
) -> Result<(B, KzgProofs<E>, Blobs<E>), DecodeError> {
    let mut builder = ssz::SszDecoderBuilder::new(bytes);
    builder.register_anonymous_variable_length_item()?;
    builder.register_type::<KzgProofs<E>>()?;
    builder.register_type::<Blobs<E>>()?;
    let mut decoder = builder.build()?;
    let block = decoder.decode_next_with(block)?;
    let proofs: KzgProofs<E> = decoder.decode_next()?;
    let blobs: Blobs<E> = decoder.decode_next()?;
    check_proofs::<E>(fork, proofs.len()).map_err(DecodeError::BytesInvalid)?;
    Ok((block, proofs, blobs))
}

impl<E: EthSpec> BlockContents<E> {
    pub fn from_ssz_bytes_by_fork(bytes: &[u8], fork: ForkName) -> Result<Self, DecodeError> {
        let (block, kzg_proofs, blobs) = decode_contents_ssz::<E, _>(bytes, fork, |b| {
            BeaconBlock::from_ssz_bytes_by_fork(b, fork)
        })?;
        Ok(Self {
            block,
            kzg_proofs,
            blobs,
        })
    }

    pub fn from_value_by_fork(
        value: serde_json::Value,
        fork: ForkName,
    ) -> Result<Self, serde_json::Error> {
        let raw: RawContents<E> = serde_json::from_value(value)?;
        check_proofs::<E>(fork, raw.kzg_proofs.len()).map_err(json_error)?;
        Ok(Self {
            block: BeaconBlock::from_value_by_fork(raw.block, fork)?,
            kzg_proofs: raw.kzg_proofs,
            blobs: raw.blobs,
        })
    }
}

impl<E: EthSpec> SignedBlockContents<E> {
    pub fn from_ssz_bytes_by_fork(bytes: &[u8], fork: ForkName) -> Result<Self, DecodeError> {
        let (signed_block, kzg_proofs, blobs) = decode_contents_ssz::<E, _>(bytes, fork, |b| {
            SignedBeaconBlock::from_ssz_bytes_by_fork(b, fork)
        })?;
        Ok(Self {
            signed_block,
            kzg_proofs,
            blobs,
        })
    }

    pub fn from_value_by_fork(
        value: serde_json::Value,
        fork: ForkName,
    ) -> Result<Self, serde_json::Error> {
        if value.get("block").is_some() {
            return Err(json_error(
                "signed block contents carry `signed_block`".into(),
            ));
        }
        let raw: RawContents<E> = serde_json::from_value(value)?;
        check_proofs::<E>(fork, raw.kzg_proofs.len()).map_err(json_error)?;
        Ok(Self {
            signed_block: SignedBeaconBlock::from_value_by_fork(raw.block, fork)?,
            kzg_proofs: raw.kzg_proofs,
            blobs: raw.blobs,
        })
    }
}

/// A full, unsigned block as production answers it: the block alone before Deneb, its contents after.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(bound = "E: EthSpec", untagged)]
pub enum FullBlockContents<E: EthSpec> {
    Block(BeaconBlock<E>),
    Contents(BlockContents<E>),
}

impl<E: EthSpec> FullBlockContents<E> {
    pub fn block(&self) -> &BeaconBlock<E> {
        match self {
            Self::Block(block) => block,
            Self::Contents(contents) => &contents.block,
        }
    }

    pub fn fork_name(&self) -> ForkName {
        self.block().fork_name()
    }

    pub fn as_ssz_bytes(&self) -> Vec<u8> {
        match self {
            Self::Block(block) => block.as_ssz_bytes(),
            Self::Contents(contents) => contents.as_ssz_bytes(),
        }
    }

    pub fn from_ssz_bytes_by_fork(bytes: &[u8], fork: ForkName) -> Result<Self, DecodeError> {
        if fork.deneb_enabled() {
            BlockContents::from_ssz_bytes_by_fork(bytes, fork).map(Self::Contents)
        } else {
            BeaconBlock::from_ssz_bytes_by_fork(bytes, fork).map(Self::Block)
        }
    }

    pub fn from_value_by_fork(
        value: serde_json::Value,
        fork: ForkName,
    ) -> Result<Self, serde_json::Error> {
        if fork.deneb_enabled() {
            BlockContents::from_value_by_fork(value, fork).map(Self::Contents)
        } else {
            BeaconBlock::from_value_by_fork(value, fork).map(Self::Block)
        }
    }
}

/// A signed full block as publication takes it: the block alone before Deneb, its contents after.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(bound = "E: EthSpec", untagged)]
pub enum PublishBlockRequest<E: EthSpec> {
    Block(SignedBeaconBlock<E>),
    Contents(SignedBlockContents<E>),
}

impl<E: EthSpec> PublishBlockRequest<E> {
    pub fn signed_block(&self) -> &SignedBeaconBlock<E> {
        match self {
            Self::Block(block) => block,
            Self::Contents(contents) => &contents.signed_block,
        }
    }

    pub fn fork_name(&self) -> ForkName {
        self.signed_block().fork_name()
    }

    pub fn as_ssz_bytes(&self) -> Vec<u8> {
        match self {
            Self::Block(block) => block.as_ssz_bytes(),
            Self::Contents(contents) => contents.as_ssz_bytes(),
        }
    }

    pub fn from_ssz_bytes_by_fork(bytes: &[u8], fork: ForkName) -> Result<Self, DecodeError> {
        if fork.deneb_enabled() {
            SignedBlockContents::from_ssz_bytes_by_fork(bytes, fork).map(Self::Contents)
        } else {
            SignedBeaconBlock::from_ssz_bytes_by_fork(bytes, fork).map(Self::Block)
        }
    }

    pub fn from_value_by_fork(
        value: serde_json::Value,
        fork: ForkName,
    ) -> Result<Self, serde_json::Error> {
        if fork.deneb_enabled() {
            SignedBlockContents::from_value_by_fork(value, fork).map(Self::Contents)
        } else {
            SignedBeaconBlock::from_value_by_fork(value, fork).map(Self::Block)
        }
    }
}

/// The data of a produced block: full (with its contents) or blinded.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(bound = "E: EthSpec", untagged)]
pub enum ProducedBlockData<E: EthSpec> {
    Full(FullBlockContents<E>),
    Blinded(BlindedBeaconBlock<E>),
}

impl<E: EthSpec> ProducedBlockData<E> {
    pub fn is_blinded(&self) -> bool {
        matches!(self, Self::Blinded(_))
    }

    pub fn as_ssz_bytes(&self) -> Vec<u8> {
        match self {
            Self::Full(full) => full.as_ssz_bytes(),
            Self::Blinded(block) => block.as_ssz_bytes(),
        }
    }

    pub fn from_ssz_bytes_by_fork(
        bytes: &[u8],
        fork: ForkName,
        blinded: bool,
    ) -> Result<Self, DecodeError> {
        if blinded {
            BlindedBeaconBlock::from_ssz_bytes_by_fork(bytes, fork).map(Self::Blinded)
        } else {
            FullBlockContents::from_ssz_bytes_by_fork(bytes, fork).map(Self::Full)
        }
    }

    pub fn from_value_by_fork(
        value: serde_json::Value,
        fork: ForkName,
        blinded: bool,
    ) -> Result<Self, serde_json::Error> {
        if blinded {
            BlindedBeaconBlock::from_value_by_fork(value, fork).map(Self::Blinded)
        } else {
            FullBlockContents::from_value_by_fork(value, fork).map(Self::Full)
        }
    }
}

/// `GET /eth/v3/validator/blocks/{slot}`: the block and what the spec's headers (and JSON fields) say
/// about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProduceBlockV3Response<E: EthSpec> {
    pub version: ForkName,
    pub execution_payload_blinded: bool,
    /// Wei paid to the proposer by the payload.
    pub execution_payload_value: U256,
    /// The proposer's consensus reward, in wei.
    pub consensus_block_value: U256,
    pub data: ProducedBlockData<E>,
}

#[derive(Serialize, Deserialize)]
struct RawV3<D> {
    version: ForkName,
    execution_payload_blinded: bool,
    #[serde(with = "decimal_u256")]
    execution_payload_value: U256,
    #[serde(with = "decimal_u256")]
    consensus_block_value: U256,
    data: D,
}

impl<E: EthSpec> Serialize for ProduceBlockV3Response<E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RawV3 {
            version: self.version,
            execution_payload_blinded: self.execution_payload_blinded,
            execution_payload_value: self.execution_payload_value,
            consensus_block_value: self.consensus_block_value,
            data: &self.data,
        }
        .serialize(serializer)
    }
}

impl<E: EthSpec> ProduceBlockV3Response<E> {
    pub fn from_json_slice(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        let raw: RawV3<serde_json::Value> = serde_json::from_slice(bytes)?;
        Ok(Self {
            data: ProducedBlockData::from_value_by_fork(
                raw.data,
                raw.version,
                raw.execution_payload_blinded,
            )?,
            version: raw.version,
            execution_payload_blinded: raw.execution_payload_blinded,
            execution_payload_value: raw.execution_payload_value,
            consensus_block_value: raw.consensus_block_value,
        })
    }
}

/// A uint256 as the beacon API writes it: a quoted decimal string.
pub mod decimal_u256 {
    use super::*;

    pub fn serialize<S: Serializer>(value: &U256, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<U256, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).map_err(serde::de::Error::custom)
    }

    /// Parses a decimal uint256 (headers carry them too).
    pub fn parse(text: &str) -> Result<U256, String> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("not a decimal integer: {text:?}"));
        }
        U256::from_str_radix(text, 10).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::MinimalEthSpec as E;

    #[test]
    fn uint256_is_decimal() {
        assert_eq!(decimal_u256::parse("1000").unwrap(), U256::from(1000u64));
        assert!(decimal_u256::parse("0x10").is_err());
        assert!(decimal_u256::parse("").is_err());
        let max = U256::MAX.to_string();
        assert_eq!(decimal_u256::parse(&max).unwrap(), U256::MAX);
    }

    #[test]
    fn empty_contents_refuse_garbage() {
        assert!(
            SignedBlockContents::<E>::from_ssz_bytes_by_fork(&[1, 2, 3], ForkName::Deneb).is_err()
        );
        assert!(
            BlockContents::<E>::from_value_by_fork(serde_json::json!({}), ForkName::Deneb).is_err()
        );
        assert!(PublishBlockRequest::<E>::from_value_by_fork(
            serde_json::json!({"block": {}, "kzg_proofs": [], "blobs": []}),
            ForkName::Electra
        )
        .is_err());
    }
}
