-- An audit record about an erased customer, written after the erasure by a request already under way (the
-- order.placed of a placement that straddled it), keeps no address, agent or metadata in the outbox: delivered
-- copies stay here. Written in the transaction of an order, whose insert took the erasure lock (0005), it sees
-- the erasure consistently; this trigger takes no lock itself (a status change holds the order's row, which
-- the erasure locks after its own: taking it here could deadlock the two).
CREATE OR REPLACE FUNCTION "orders"."audit_outbox_keep_erased_erased"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM "orders"."erased_customers"
     WHERE customer_id::text = NEW.record->>'actorId' OR customer_id::text = NEW.record->>'resourceId'
  ) THEN
    NEW.record := NEW.record || '{"ip":null,"userAgent":null,"metadata":null}'::jsonb;
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "audit_outbox_keep_erased_erased" BEFORE INSERT ON "orders"."audit_outbox" FOR EACH ROW EXECUTE FUNCTION "orders"."audit_outbox_keep_erased_erased"();
