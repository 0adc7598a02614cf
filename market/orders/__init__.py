"""Orders: annotation demand published by agencies, clarification questions, the public directory."""
