"""The feedback messages, as data: per situation a few variants, each in Korean and English with its emotion and
the client animation that goes with it. Korean is the default language (the product's players are Korean)."""

from __future__ import annotations

from dataclasses import dataclass

from src.domain.engagement.feedback import Situation

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"


@dataclass(frozen=True)
class FeedbackMessage:
    ko: str
    en: str
    emotion: str
    animation_key: str

    def text(self, language: str) -> str:
        return self.en if language == "en" else self.ko


def _m(ko: str, en: str, emotion: str, animation_key: str) -> FeedbackMessage:
    return FeedbackMessage(ko, en, emotion, animation_key)


MESSAGES: dict[Situation, tuple[FeedbackMessage, ...]] = {
    Situation.BIG_WIN: (
        _m("대박! 엄청난 당첨이에요!", "Jackpot! What a huge win!", "ecstatic", "jackpot_fireworks"),
        _m("믿을 수 없는 행운이에요!", "Unbelievable luck!", "ecstatic", "coin_shower"),
        _m("오늘의 주인공은 바로 당신!", "You're today's big winner!", "proud", "golden_burst"),
    ),
    Situation.NEAR_MISS: (
        _m("아깝다! 정말 한 끗 차이였어요.", "So close! Just one symbol away.", "surprised", "near_miss_shake"),
        _m("거의 다 왔었어요!", "That was a near miss!", "surprised", "near_miss_flash"),
    ),
    Situation.WIN_STREAK: (
        _m("연승 행진 중이에요! 불타오르네요!", "You're on a winning streak! On fire!", "excited", "fire_streak"),
        _m("멈출 수 없는 기세예요!", "Unstoppable momentum!", "excited", "streak_flames"),
    ),
    Situation.LOSS_STREAK: (
        _m(
            "운이 잠시 쉬어가네요. 잠깐 쉬어 가는 건 어때요?",
            "Luck is taking a break. How about a short pause?",
            "calm",
            "soft_glow",
        ),
        _m(
            "오늘은 여기까지 해도 괜찮아요. 내일 또 만나요!",
            "It's fine to stop here today. See you tomorrow!",
            "supportive",
            "gentle_pulse",
        ),
    ),
    Situation.STREAK_MILESTONE: (
        _m(
            "출석 기록 달성! 꾸준함이 빛나요!",
            "Streak milestone reached! Your consistency shines!",
            "proud",
            "calendar_trophy",
        ),
        _m("대단해요! 연속 출석 기념일이에요!", "Amazing! A streak milestone!", "celebratory", "milestone_confetti"),
    ),
    Situation.LEVEL_UP: (
        _m("레벨 업! 새로운 혜택이 열렸어요!", "Level up! New benefits unlocked!", "celebratory", "level_up_glow"),
        _m("축하해요! 한 단계 올라섰어요!", "Congratulations, you moved up a tier!", "proud", "tier_badge_shine"),
    ),
    Situation.WIN: (
        _m("당첨! 좋아요!", "A win! Nice!", "happy", "coin_pop"),
        _m("행운이 함께하네요!", "Luck is on your side!", "happy", "sparkle"),
        _m("멋진 결과예요!", "Great result!", "happy", "coin_pop"),
    ),
    Situation.LOSS: (
        _m("아쉽지만 다음 기회가 있어요.", "Not this time, there's always a next time.", "encouraging", "soft_glow"),
        _m("괜찮아요, 즐기는 게 중요해요!", "No worries, having fun is what counts!", "encouraging", "gentle_pulse"),
    ),
    Situation.STREAK_TICK: (
        _m("오늘도 출석 완료!", "Checked in for today!", "happy", "calendar_stamp"),
        _m("꾸준함이 최고예요!", "Consistency pays off!", "happy", "calendar_stamp"),
    ),
    Situation.PURCHASE: (
        _m("구매해 주셔서 감사해요!", "Thanks for your purchase!", "grateful", "gem_sparkle"),
        _m("젬이 도착했어요!", "Your gems have arrived!", "happy", "gem_sparkle"),
    ),
    Situation.WELCOME: (
        _m("환영해요! 오늘도 즐거운 시간 보내세요.", "Welcome! Have a great time today.", "friendly", "wave"),
        _m("반가워요! 행운을 빌어요!", "Good to see you! Good luck!", "friendly", "wave"),
    ),
}
