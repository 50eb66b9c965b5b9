package dev.creditmeter.credits;

import java.util.Optional;

/**
 * What the money core needs to know about tiers without depending on the tiers feature, which implements
 * it: the allowance a tier grants per period (for sign-up) and the call quota a balance shows.
 */
public interface TierRules {

    /** The tier's allowance per period; empty for a tier the catalogue does not know. */
    Optional<Money> allowance(String tier);

    /** The account's call quota in the current window. */
    ApiCalls apiCalls(Account account);
}
