CREATE TABLE "orders"."erased_customers" (
	"customer_id" uuid PRIMARY KEY NOT NULL,
	"erased_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- A request of the customer's already under way when they were erased (their token is refused from then on)
-- may still write. Under one lock per customer, taken by the erasure (services/customer-data.ts) and here
-- before any of their orders or carts is written: a write either commits before the erasure (which then
-- erases it) or finds them erased. Such an order keeps only its country; a cart line is not written.
CREATE OR REPLACE FUNCTION "orders"."erasure_lock"(customer uuid) RETURNS void LANGUAGE sql AS $$
  SELECT pg_advisory_xact_lock(hashtext('palisade-erasure:' || customer::text));
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "orders"."keep_erased_erased"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME <> 'cart_lines' THEN
    PERFORM "orders"."erasure_lock"(NEW.customer_id);
  END IF;
  IF EXISTS (SELECT 1 FROM "orders"."erased_customers" WHERE customer_id = NEW.customer_id) THEN
    IF TG_TABLE_NAME = 'orders' THEN
      NEW.shipping_address := jsonb_build_object('line1', '[erased]', 'line2', null, 'city', '[erased]', 'region', null, 'postalCode', '[erased]', 'country', NEW.shipping_address->>'country');
    ELSIF TG_TABLE_NAME = 'cart_lines' THEN
      RETURN NULL;
    END IF;
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
-- The cart row's write comes first in every cart change and takes the lock; its lines are written under it.
CREATE TRIGGER "orders_keep_erased_erased" BEFORE INSERT ON "orders"."orders" FOR EACH ROW EXECUTE FUNCTION "orders"."keep_erased_erased"();
--> statement-breakpoint
CREATE TRIGGER "carts_keep_erased_erased" BEFORE INSERT ON "orders"."carts" FOR EACH ROW EXECUTE FUNCTION "orders"."keep_erased_erased"();
--> statement-breakpoint
CREATE TRIGGER "cart_lines_keep_erased_erased" BEFORE INSERT ON "orders"."cart_lines" FOR EACH ROW EXECUTE FUNCTION "orders"."keep_erased_erased"();
