//! Sending a transfer: every check first, then `xcall` with the relayer fee as `msg.value`.

use crate::{
    asset::{AssetInfo, AssetRef, IERC20},
    client::Sdk,
    error::SdkError,
    fee::FeeSource,
    tx::{self, TxOutcome},
};
use alloy::{
    primitives::{Address, Bytes, B256, U256},
    providers::Provider,
    signers::local::PrivateKeySigner,
};
use nxtp_bindings::{Connext, XCalled};
use nxtp_primitives::{Domain, TransferInfo};

/// The slippage tolerance a request starts with: room for the default 5 bps liquidity fee and some rounding.
pub const DEFAULT_SLIPPAGE_BPS: u32 = 30;
/// Slippage is in basis points of the amount sent.
const MAX_SLIPPAGE_BPS: u32 = 10_000;

/// How the native relayer fee is chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RelayerFee {
    /// What the sequencer quotes (needs a sequencer); while it does not answer, an estimate from the destination's
    /// gas price ([`FeeSource::Estimated`]).
    #[default]
    Quote,
    /// This many wei.
    Wei(U256),
}

impl RelayerFee {
    /// Refuses an explicit fee of zero unless `allow_zero` ([`SdkError::ZeroRelayerFee`]):
    /// nobody would be paid to deliver the transfer. [`XcallRequest::validate`] applies it.
    pub fn check(self, allow_zero: bool) -> Result<(), SdkError> {
        if self == Self::Wei(U256::ZERO) && !allow_zero {
            return Err(SdkError::ZeroRelayerFee);
        }
        Ok(())
    }
}

/// A transfer to send. [`XcallRequest::new`] fills the usual defaults; the fields can be changed after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XcallRequest {
    /// Where the transfer is sent from.
    pub origin: Domain,
    /// Where it is delivered.
    pub destination: Domain,
    /// The asset on the origin.
    pub asset: AssetRef,
    /// The amount, in the asset's base units.
    pub amount: U256,
    /// The recipient on the destination (and the `IXReceiver` called if `call_data` is set).
    pub to: Address,
    /// Who may recover the transfer on the destination (zero: nobody).
    pub delegate: Address,
    /// The largest loss the recipient accepts, in basis points; at least the destination's liquidity fee.
    pub slippage_bps: u32,
    /// Calldata for `xReceive` on `to`; empty for a plain transfer.
    pub call_data: Bytes,
    /// The native relayer fee.
    pub relayer_fee: RelayerFee,
    /// Accept an explicit [`RelayerFee::Wei`] of zero (refused otherwise: nobody would be paid to
    /// deliver the transfer, so it waits for a `bumpTransfer`).
    pub allow_zero_relayer_fee: bool,
    /// Deliver the local asset rather than a swap into an adopted one (`xcallIntoLocal`).
    pub receive_local: bool,
    /// When the allowance falls short, approve first (as much as `allowance` says) instead of refusing.
    pub auto_approve: bool,
    /// How much an automatic approval allows: the amount alone, or more so later transfers need none.
    pub allowance: Allowance,
}

/// How much an automatic approval lets `Connext` pull ([`XcallRequest::allowance`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Allowance {
    /// Exactly the transfer's amount: the next transfer approves again.
    #[default]
    Exact,
    /// This many base units (the transfer's amount if that is more): later transfers spend what is left.
    Amount(U256),
    /// Everything (`2^256 - 1`): the token is never approved again for this `Connext`.
    Unlimited,
}

impl Allowance {
    /// The allowance to approve for a transfer of `amount`.
    pub fn for_amount(self, amount: U256) -> U256 {
        match self {
            Self::Exact => amount,
            Self::Amount(allowed) => allowed.max(amount),
            Self::Unlimited => U256::MAX,
        }
    }
}

impl XcallRequest {
    /// A plain transfer of `amount` (base units) of `asset` to `to`: no delegate, [`DEFAULT_SLIPPAGE_BPS`], no
    /// calldata, the quoted relayer fee, no automatic approval.
    pub fn new(
        origin: Domain,
        destination: Domain,
        asset: AssetRef,
        amount: U256,
        to: Address,
    ) -> Self {
        Self {
            origin,
            destination,
            asset,
            amount,
            to,
            delegate: Address::ZERO,
            slippage_bps: DEFAULT_SLIPPAGE_BPS,
            call_data: Bytes::new(),
            relayer_fee: RelayerFee::Quote,
            allow_zero_relayer_fee: false,
            receive_local: false,
            auto_approve: false,
            allowance: Allowance::Exact,
        }
    }

    /// The checks that need no chain.
    pub fn validate(&self) -> Result<(), SdkError> {
        if self.origin == self.destination {
            return Err(SdkError::SameDomain(self.origin));
        }
        if self.to.is_zero() {
            return Err(SdkError::ZeroRecipient);
        }
        if self.slippage_bps > MAX_SLIPPAGE_BPS {
            return Err(SdkError::InvalidSlippage(self.slippage_bps));
        }
        if self.amount.is_zero() && self.call_data.is_empty() {
            return Err(SdkError::ZeroAmount);
        }
        self.relayer_fee.check(self.allow_zero_relayer_fee)
    }
}

/// A sent transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XcallReceipt {
    /// Its id (`transfer_id(&params)`).
    pub transfer_id: B256,
    /// Everything hashed into the id, as `XCalled` reported it.
    pub params: TransferInfo,
    /// The `xcall` transaction.
    pub origin_tx: B256,
    /// Its block.
    pub origin_block: u64,
    /// The native relayer fee paid.
    pub relayer_fee: U256,
    /// Where it came from: given, quoted by the sequencer, or estimated while the sequencer did not answer.
    pub relayer_fee_source: FeeSource,
    /// The sequencer's quote, when an explicit fee ([`RelayerFee::Wei`]) was below it: the
    /// transfer is not auctioned until a `bumpTransfer` makes up the difference.
    pub below_quote: Option<U256>,
    /// The approval sent first, if the request asked for one and it was needed.
    pub approval: Option<TxOutcome>,
}

impl Sdk {
    /// Sends a transfer as `signer`. Refuses, before sending anything, an unknown domain, an asset not registered
    /// or approved on the origin or missing on the destination, a destination not enrolled, slippage below the
    /// destination's liquidity fee, too small a token or native balance, and too small an allowance (unless
    /// `auto_approve`); then simulates the call, sends it with the relayer fee as `msg.value`, and reads
    /// `XCalled` from the receipt.
    ///
    /// ```no_run
    /// # async fn demo(sdk: nxtp_sdk::Sdk) -> Result<(), Box<dyn std::error::Error>> {
    /// use alloy::{primitives::{address, U256}, signers::local::PrivateKeySigner};
    /// use nxtp_primitives::Domain;
    /// use nxtp_sdk::{RelayerFee, XcallRequest};
    ///
    /// let signer: PrivateKeySigner = std::env::var("USER_KEY")?.parse()?;
    /// let to = address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    /// let mut request =
    ///     XcallRequest::new(Domain(1000), Domain(2000), "DEMO".parse()?, U256::from(10u64).pow(U256::from(18u64)), to);
    /// request.relayer_fee = RelayerFee::Wei(U256::from(1_000_000_000_000_000u64));
    /// request.auto_approve = true;
    /// let sent = sdk.xcall(&signer, &request).await?;
    /// println!("transfer {} in block {}", sent.transfer_id, sent.origin_block);
    /// # Ok(()) }
    /// ```
    pub async fn xcall(
        &self,
        signer: &PrivateKeySigner,
        request: &XcallRequest,
    ) -> Result<XcallReceipt, SdkError> {
        request.validate()?;
        let origin = request.origin;
        let route = self
            .route(origin, request.destination, &request.asset)
            .await?;
        if !request.amount.is_zero() && request.slippage_bps < u32::from(route.liquidity_fee_bps) {
            return Err(SdkError::SlippageBelowFee {
                slippage: request.slippage_bps,
                fee_bps: route.liquidity_fee_bps,
                destination: request.destination,
            });
        }
        let (relayer_fee, below_quote, relayer_fee_source) = match request.relayer_fee {
            RelayerFee::Wei(fee) => (
                fee,
                self.quote_above(origin, request.destination, fee).await,
                FeeSource::Given,
            ),
            RelayerFee::Quote => {
                let quote = self
                    .relayer_fee_quote(origin, request.destination, request.to, &request.call_data)
                    .await?;
                (quote.wei, None, quote.source)
            }
        };
        let sender = signer.address();
        self.check_funds(origin, sender, &route.asset, request.amount)
            .await?;
        let native = self
            .reader(origin)
            .await?
            .get_balance(sender)
            .await
            .map_err(|err| SdkError::from_transport(origin, "read native balance", err))?;
        if native < relayer_fee {
            return Err(SdkError::InsufficientNativeBalance {
                holder: sender,
                balance: native,
                needed: relayer_fee,
            });
        }
        let approval = self
            .ensure_allowance(signer, origin, &route.asset, request)
            .await?;

        let connext_address = self.settings(origin)?.connext;
        let provider = self.writer(origin, signer).await?;
        let connext = Connext::new(connext_address, &provider);
        let slippage = U256::from(request.slippage_bps);
        let (destination, to, local) = (request.destination.get(), request.to, route.asset.local);
        let (delegate, amount, data) = (request.delegate, request.amount, &request.call_data);
        let (action, timing) = ("xcall", self.timing());
        // Both calls take the same arguments but are distinct types, hence two sends.
        let receipt = if request.receive_local {
            let call = connext.xcallIntoLocal(
                destination,
                to,
                local,
                delegate,
                amount,
                slippage,
                data.clone(),
                U256::ZERO,
            );
            tx::send(origin, action, call.value(relayer_fee), timing).await?
        } else {
            let call = connext.xcall(
                destination,
                to,
                local,
                delegate,
                amount,
                slippage,
                data.clone(),
                U256::ZERO,
            );
            tx::send(origin, action, call.value(relayer_fee), timing).await?
        };
        let event: Connext::XCalled = tx::event(&receipt, connext_address, origin, action)?;
        let sent = tx::outcome(&receipt);
        let event = XCalled::check(event, origin).map_err(|source| SdkError::BadXCalled {
            domain: origin,
            tx: sent.tx,
            source,
        })?;
        Ok(XcallReceipt {
            transfer_id: event.transfer_id,
            params: event.params,
            origin_tx: sent.tx,
            origin_block: sent.block,
            relayer_fee,
            relayer_fee_source,
            below_quote,
            approval,
        })
    }

    /// The sequencer's quote if it is above an explicit `fee`; `None` when it is not, or there is
    /// no sequencer to ask or it does not answer (the fee was chosen, so sending does not depend
    /// on the quote).
    async fn quote_above(&self, origin: Domain, destination: Domain, fee: U256) -> Option<U256> {
        let quote = self.quoted_relayer_fee(origin, destination).await.ok()?;
        (fee < quote).then_some(quote)
    }

    /// Lets `domain`'s `Connext` pull `amount` (base units) of `asset` from `signer` (an ERC-20 `approve`).
    pub async fn approve(
        &self,
        signer: &PrivateKeySigner,
        domain: Domain,
        asset: &AssetRef,
        amount: U256,
    ) -> Result<TxOutcome, SdkError> {
        let info = self.asset(domain, asset).await?;
        self.approve_local(signer, domain, info.local, amount).await
    }

    /// What `holder` holds of `asset` on `domain`, in base units.
    pub async fn balance_of(
        &self,
        domain: Domain,
        holder: Address,
        asset: &AssetRef,
    ) -> Result<U256, SdkError> {
        let info = self.asset(domain, asset).await?;
        self.token_balance(domain, info.local, holder).await
    }

    /// How much of `asset` `domain`'s `Connext` may pull from `owner`, in base units.
    pub async fn allowance(
        &self,
        domain: Domain,
        owner: Address,
        asset: &AssetRef,
    ) -> Result<U256, SdkError> {
        let info = self.asset(domain, asset).await?;
        self.token_allowance(domain, info.local, owner).await
    }

    pub(crate) async fn approve_local(
        &self,
        signer: &PrivateKeySigner,
        domain: Domain,
        token: Address,
        amount: U256,
    ) -> Result<TxOutcome, SdkError> {
        let spender = self.settings(domain)?.connext;
        let provider = self.writer(domain, signer).await?;
        let token = IERC20::new(token, &provider);
        let call = token.approve(spender, amount);
        let receipt = tx::send(domain, "approve", call, self.timing()).await?;
        Ok(tx::outcome(&receipt))
    }

    /// Refuses a holder whose token balance is short of `amount`.
    pub(crate) async fn check_funds(
        &self,
        domain: Domain,
        holder: Address,
        asset: &AssetInfo,
        amount: U256,
    ) -> Result<(), SdkError> {
        let balance = self.token_balance(domain, asset.local, holder).await?;
        if balance < amount {
            return Err(SdkError::InsufficientBalance {
                asset: asset.local,
                holder,
                balance,
                needed: amount,
                decimals: asset.decimals,
            });
        }
        Ok(())
    }

    /// A canonical token is pulled (so it needs an allowance); a representation is burned (so it does not).
    async fn ensure_allowance(
        &self,
        signer: &PrivateKeySigner,
        origin: Domain,
        asset: &AssetInfo,
        request: &XcallRequest,
    ) -> Result<Option<TxOutcome>, SdkError> {
        if !asset.is_canonical_on(origin.get()) {
            return Ok(None);
        }
        let approve = request
            .auto_approve
            .then(|| request.allowance.for_amount(request.amount));
        self.pullable(signer, origin, asset, request.amount, approve)
            .await
    }

    /// Makes sure `domain`'s `Connext` may pull `amount` of `asset` from `signer`: when the allowance is short,
    /// approves `approve` (at least `amount`) if given, refuses otherwise.
    pub(crate) async fn pullable(
        &self,
        signer: &PrivateKeySigner,
        domain: Domain,
        asset: &AssetInfo,
        amount: U256,
        approve: Option<U256>,
    ) -> Result<Option<TxOutcome>, SdkError> {
        let owner = signer.address();
        let allowance = self.token_allowance(domain, asset.local, owner).await?;
        if allowance >= amount {
            return Ok(None);
        }
        let Some(approve) = approve else {
            return Err(SdkError::InsufficientAllowance {
                asset: asset.local,
                owner,
                spender: self.settings(domain)?.connext,
                allowance,
                needed: amount,
                decimals: asset.decimals,
            });
        };
        self.approve_local(signer, domain, asset.local, approve.max(amount))
            .await
            .map(Some)
    }

    async fn token_balance(
        &self,
        domain: Domain,
        token: Address,
        holder: Address,
    ) -> Result<U256, SdkError> {
        IERC20::new(token, self.reader(domain).await?)
            .balanceOf(holder)
            .call()
            .await
            .map_err(|err| SdkError::from_contract(domain, "read token balance", err))
    }

    async fn token_allowance(
        &self,
        domain: Domain,
        token: Address,
        owner: Address,
    ) -> Result<U256, SdkError> {
        let spender = self.settings(domain)?.connext;
        IERC20::new(token, self.reader(domain).await?)
            .allowance(owner, spender)
            .call()
            .await
            .map_err(|err| SdkError::from_contract(domain, "read token allowance", err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> XcallRequest {
        XcallRequest::new(
            Domain(1000),
            Domain(2000),
            AssetRef::Symbol("DEMO".into()),
            U256::from(5u64),
            Address::repeat_byte(7),
        )
    }

    #[test]
    fn a_plain_request_is_valid() {
        let request = request();
        assert!(request.validate().is_ok());
        assert_eq!(request.slippage_bps, DEFAULT_SLIPPAGE_BPS);
        assert_eq!(request.relayer_fee, RelayerFee::Quote);
        assert!(!request.auto_approve && !request.receive_local && request.delegate.is_zero());
    }

    #[test]
    fn validation_refuses_what_the_contract_would() {
        let mut same = request();
        same.destination = same.origin;
        assert!(matches!(
            same.validate(),
            Err(SdkError::SameDomain(Domain(1000)))
        ));

        let mut nobody = request();
        nobody.to = Address::ZERO;
        assert!(matches!(nobody.validate(), Err(SdkError::ZeroRecipient)));

        let mut greedy = request();
        greedy.slippage_bps = 10_001;
        assert!(matches!(
            greedy.validate(),
            Err(SdkError::InvalidSlippage(10_001))
        ));
        greedy.slippage_bps = 10_000;
        assert!(greedy.validate().is_ok());

        let mut free = request();
        free.relayer_fee = RelayerFee::Wei(U256::ZERO);
        assert!(matches!(free.validate(), Err(SdkError::ZeroRelayerFee)));
        free.allow_zero_relayer_fee = true;
        assert!(free.validate().is_ok(), "allowed explicitly");
        free.relayer_fee = RelayerFee::Wei(U256::from(1u64));
        free.allow_zero_relayer_fee = false;
        assert!(free.validate().is_ok(), "any non-zero fee");

        let mut empty = request();
        empty.amount = U256::ZERO;
        assert!(matches!(empty.validate(), Err(SdkError::ZeroAmount)));
        empty.call_data = Bytes::from_static(b"ping");
        assert!(empty.validate().is_ok(), "calldata alone is a transfer");
    }
}
