//! The gas limit a registration's `gas_limit` target leads to: the rule the relay builds by and the
//! proposer checks bids against, in one place so that an honest bid always passes.

/// The EL's gas limit bound divisor (EIP-1559): a block's gas limit moves by less than
/// `parent_gas_limit / 1024` from its parent's.
pub const GAS_LIMIT_BOUND_DIVISOR: u64 = 1024;
/// The EL's minimum gas limit; a lower target is raised to this, as geth and reth do.
pub const MIN_GAS_LIMIT: u64 = 5000;

/// The gas limit an execution client builds towards `target` on a parent with `parent_gas_limit`
/// (geth's `CalcGasLimit`): a step of at most `parent / 1024 - 1` towards the target (raised to
/// [`MIN_GAS_LIMIT`]), stopping at the target.
pub fn expected_gas_limit(parent_gas_limit: u64, target: u64) -> u64 {
    let target = target.max(MIN_GAS_LIMIT);
    let delta = (parent_gas_limit / GAS_LIMIT_BOUND_DIVISOR).saturating_sub(1);
    if parent_gas_limit < target {
        parent_gas_limit.saturating_add(delta).min(target)
    } else if parent_gas_limit > target {
        parent_gas_limit.saturating_sub(delta).max(target)
    } else {
        parent_gas_limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_gas_limit_steps_towards_target() {
        // Up: step of parent/1024 - 1.
        assert_eq!(expected_gas_limit(30_000_000, 36_000_000), 30_029_295);
        // Down.
        assert_eq!(expected_gas_limit(36_000_000, 30_000_000), 35_964_845);
        // Within one step: land exactly on the target.
        assert_eq!(expected_gas_limit(30_000_000, 30_010_000), 30_010_000);
        assert_eq!(expected_gas_limit(30_000_000, 29_990_000), 29_990_000);
        // At the target: unchanged.
        assert_eq!(expected_gas_limit(30_000_000, 30_000_000), 30_000_000);
        // A target below the EL minimum is raised to it.
        assert_eq!(expected_gas_limit(5_000, 0), 5_000);
        // Extremes do not overflow.
        assert_eq!(
            expected_gas_limit(u64::MAX, 0),
            u64::MAX - (u64::MAX / 1024 - 1)
        );
        assert_eq!(expected_gas_limit(0, u64::MAX), 0);
    }
}
