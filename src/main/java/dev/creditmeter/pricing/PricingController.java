package dev.creditmeter.pricing;

import dev.creditmeter.credits.Money;
import dev.creditmeter.identity.Caller;
import dev.creditmeter.web.Validation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.time.Instant;
import java.util.List;

import static io.swagger.v3.oas.annotations.media.Schema.RequiredMode.REQUIRED;

@RestController
@RequestMapping("/api/v1/credits/pricing")
@Tag(name = "Pricing")
class PricingController {

    private final CatalogueAdmin catalogue;

    PricingController(CatalogueAdmin catalogue) {
        this.catalogue = catalogue;
    }

    /** A catalogue entry: credits per million input and output tokens. */
    record ModelPriceView(String model, Money inputPricePerMillion, Money outputPricePerMillion, boolean isFree,
                          String source, Instant effectiveFrom) {
        static ModelPriceView of(ModelPrices.ModelPrice price) {
            return new ModelPriceView(price.model(), Money.ofMicros(price.inputMicrosPerMillionTokens()),
                    Money.ofMicros(price.outputMicrosPerMillionTokens()), price.free(), price.source(),
                    price.effectiveFrom());
        }
    }
    record PriceRequest(@Schema(requiredMode = REQUIRED) Money inputPricePerMillion,
                        @Schema(requiredMode = REQUIRED) Money outputPricePerMillion, Boolean isFree) {
    }

    @GetMapping("/models")
    @Operation(summary = "The model catalogue: credits per million input and output tokens, ordered by model")
    List<ModelPriceView> models() {
        return catalogue.all().stream().map(ModelPriceView::of).toList();
    }

    @PutMapping("/models/{*model}")
    @Operation(summary = "Set a model's price (admin). It wins over every later sync. The model id may contain "
            + "'/' and ':' as they are (PUT /pricing/models/openai/gpt-4o)")
    ModelPriceView put(Caller caller,
                       @Parameter(description = "The model id, e.g. openai/gpt-4o") @PathVariable("model") String path,
                       @RequestBody(required = false) PriceRequest body) {
        String model = path.startsWith("/") ? path.substring(1) : path;
        var validation = new Validation()
                .require(ModelPrices.isValidId(model), "model",
                        "must be 1 to 255 printable characters without spaces");
        if (body == null) {
            validation.require(false, "body", "is required").throwIfInvalid();
        }
        validation
                .require(body.inputPricePerMillion() != null, "input_price_per_million", "is required")
                .require(body.inputPricePerMillion() == null || body.inputPricePerMillion().micros() >= 0,
                        "input_price_per_million", "must be 0 or more")
                .require(body.outputPricePerMillion() != null, "output_price_per_million", "is required")
                .require(body.outputPricePerMillion() == null || body.outputPricePerMillion().micros() >= 0,
                        "output_price_per_million", "must be 0 or more")
                .throwIfInvalid();
        boolean free = body.isFree() != null
                ? body.isFree()
                : body.inputPricePerMillion().micros() == 0 && body.outputPricePerMillion().micros() == 0;
        return ModelPriceView.of(catalogue.put(model, body.inputPricePerMillion(), body.outputPricePerMillion(), free,
                caller.actor()));
    }

    @PostMapping("/sync")
    @Operation(summary = "Import prices from OpenRouter's model list (admin). Admin-set prices are kept; entries "
            + "without a usable price are skipped")
    CatalogueAdmin.SyncResult sync(Caller caller) {
        return catalogue.sync(caller.actor());
    }
}
