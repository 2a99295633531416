"""A workload: naming helpers as an ORM or a code generator calls them."""
import inflection

MODELS = ["UserAccount", "BlogPost", "OrderLineItem", "HTTPRequestLog", "Person", "Category",
          "ProductVariant", "InvoiceAddress", "APIKey", "Status"]
COLUMNS = ["first_name", "last_name", "author_id", "created_at", "email_address", "company_id",
           "postal_code", "is_active", "order_total", "shipping_method_id"]


def main():
    out = []
    for _ in range(60):
        for model in MODELS:
            out.append(inflection.tableize(model))
            out.append(inflection.camelize(inflection.underscore(model), False))
            out.append(inflection.dasherize(inflection.underscore(model)))
        for column in COLUMNS:
            out.append(inflection.humanize(column))
            out.append(inflection.camelize(column))
            out.append(inflection.titleize(column))
        for rank in range(1, 40):
            out.append(inflection.ordinalize(rank))
    return len(out)


if __name__ == "__main__":
    print(main())
