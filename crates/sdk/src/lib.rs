//! The nxtp SDK: send crosschain transfers, follow them, recover them, manage router liquidity.
