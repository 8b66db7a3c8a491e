//! Domains and signing roots: how every signed object is bound to its network and fork.

use crate::chain_spec::{ChainSpec, DOMAIN_APPLICATION_BUILDER};
use crate::consensus::{Fork, ForkData, SigningData};
use crate::primitives::*;
use tree_hash::TreeHash;

/// `compute_fork_data_root`
pub fn compute_fork_data_root(current_version: Version, genesis_validators_root: Root) -> Root {
    ForkData {
        current_version,
        genesis_validators_root,
    }
    .tree_hash_root()
}

/// `compute_fork_digest` as defined up to Electra: the first four bytes of the fork data root.
pub fn compute_fork_digest(current_version: Version, genesis_validators_root: Root) -> [u8; 4] {
    let root = compute_fork_data_root(current_version, genesis_validators_root);
    [root[0], root[1], root[2], root[3]]
}

/// `compute_domain`
pub fn compute_domain(
    domain_type: DomainType,
    fork_version: Version,
    genesis_validators_root: Root,
) -> Domain {
    let fork_data_root = compute_fork_data_root(fork_version, genesis_validators_root);
    let mut domain = [0u8; 32];
    domain[..4].copy_from_slice(&domain_type);
    domain[4..].copy_from_slice(&fork_data_root[..28]);
    Hash256::from(domain)
}

/// `compute_signing_root`
pub fn compute_signing_root<T: TreeHash + ?Sized>(object: &T, domain: Domain) -> Root {
    SigningData {
        object_root: object.tree_hash_root(),
        domain,
    }
    .tree_hash_root()
}

/// `get_domain` from a state's `fork`: the previous version before the fork epoch, else the current one.
pub fn get_domain(
    fork: &Fork,
    domain_type: DomainType,
    epoch: Epoch,
    genesis_validators_root: Root,
) -> Domain {
    let version = if epoch < fork.epoch {
        fork.previous_version
    } else {
        fork.current_version
    };
    compute_domain(domain_type, version, genesis_validators_root)
}

impl ChainSpec {
    /// The builder-specs domain: `DOMAIN_APPLICATION_BUILDER` over the genesis fork version and a zero
    /// genesis validators root, so that registrations and bids are valid across forks.
    pub fn builder_domain(&self) -> Domain {
        compute_domain(
            DOMAIN_APPLICATION_BUILDER,
            self.genesis_fork_version,
            Hash256::ZERO,
        )
    }

    /// A domain from the fork schedule at `epoch` (no state needed).
    pub fn domain_at_epoch(
        &self,
        domain_type: DomainType,
        epoch: Epoch,
        genesis_validators_root: Root,
    ) -> Domain {
        compute_domain(
            domain_type,
            self.fork_version_at_epoch(epoch),
            genesis_validators_root,
        )
    }
}

/// Signing-root helper for any SSZ object.
pub trait SignedRoot: TreeHash {
    fn signing_root(&self, domain: Domain) -> Root {
        compute_signing_root(self, domain)
    }
}

impl<T: TreeHash> SignedRoot for T {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainnet_builder_domain_is_the_known_constant() {
        // The value every relay and client uses on mainnet (mev-boost, builder-specs).
        let domain = ChainSpec::mainnet().builder_domain();
        assert_eq!(
            format!("{domain:x}"),
            "00000001f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a9"
        );
    }
}
