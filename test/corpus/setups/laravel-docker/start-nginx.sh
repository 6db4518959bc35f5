#!/usr/bin/env bash

sleep 0.25 && exec nginx
