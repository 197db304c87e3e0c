-- Rasa's tracker store lives in its own database beside the retail data.
CREATE DATABASE rasa_tracker;
